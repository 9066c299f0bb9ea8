// Boost.Beast's separately compiled implementation (BOOST_BEAST_SEPARATE_COMPILATION), for the
// same reason as asio_impl.cpp.
#include <utility>

#include <boost/beast/src.hpp>
