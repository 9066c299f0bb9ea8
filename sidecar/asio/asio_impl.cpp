// Boost.Asio's separately compiled implementation (BOOST_ASIO_SEPARATE_COMPILATION): compiled
// once here instead of in every translation unit, which keeps 2-core rebuilds short.
#include <utility>

#include <boost/asio/impl/src.hpp>
