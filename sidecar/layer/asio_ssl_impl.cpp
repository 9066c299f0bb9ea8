// Boost.Asio's separately compiled SSL implementation (BOOST_ASIO_SEPARATE_COMPILATION is on for
// the whole tree, see asio/asio_impl.cpp): compiled once, here, beside its only user, the
// rediss:// connections, and linked with OpenSSL.
#include <boost/asio/ssl/impl/src.hpp>
