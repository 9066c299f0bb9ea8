// The one header through which Tandem code includes Boost.Asio: the C++20 coroutine pieces,
// the fix Boost 1.74 needs with g++ 12, and short namespace aliases.
#pragma once

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace tandem {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

template <typename T = void>
using awaitable = asio::awaitable<T>;

/// Completion token for coroutines that want error codes as values instead of exceptions.
inline auto
as_value(error_code& ec)
{
  return asio::redirect_error(asio::use_awaitable, ec);
}

}  // namespace tandem
