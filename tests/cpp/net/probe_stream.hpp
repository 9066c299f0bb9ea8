// An in-process stream for the transport tests: Beast's test stream (connected to a peer in the
// same io_context, writes split into `write_size` pieces) with a probe in front of every write
// that delays it, counts the writes in flight at once, and can fail it (a reset mid-message).
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/buffers_prefix.hpp>
#include <boost/beast/core/role.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>

#include "asio/asio.hpp"

namespace tandem::testing {

struct probe_state {
  int in_flight = 0;
  int most_in_flight = 0;
  std::size_t writes = 0;
  std::chrono::milliseconds delay{0};
  /// Fail every write from this one on (1-based), as a reset connection does.
  std::optional<std::size_t> fail_from;
  error_code failure = asio::error::connection_reset;
};

class probe_stream {
 public:
  using executor_type = boost::beast::test::stream::executor_type;

  probe_stream(boost::beast::test::stream inner, std::shared_ptr<probe_state> state)
      : inner_{std::move(inner)}, state_{std::move(state)}
  {
  }

  executor_type get_executor() noexcept { return inner_.get_executor(); }
  boost::beast::test::stream& inner() noexcept { return inner_; }

  template <typename MutableBuffers, typename Handler>
  auto async_read_some(MutableBuffers const& buffers, Handler&& handler)
  {
    return inner_.async_read_some(buffers, std::forward<Handler>(handler));
  }

  template <typename ConstBuffers, typename Handler>
  auto async_write_some(ConstBuffers const& buffers, Handler&& handler)
  {
    return asio::async_initiate<Handler, void(error_code, std::size_t)>(
        [this](auto done, ConstBuffers const& data) {
          auto state = state_;
          ++state->writes;
          state->most_in_flight = std::max(state->most_in_flight, ++state->in_flight);
          bool const fail = state->fail_from && state->writes >= *state->fail_from;
          auto timer = std::make_shared<asio::steady_timer>(inner_.get_executor(), state->delay);
          timer->async_wait([this, state, timer, fail, data, done = std::move(done)](error_code) mutable {
            if (fail) {
              --state->in_flight;
              std::move(done)(state->failure, std::size_t{0});
              return;
            }
            inner_.async_write_some(data, [state, done = std::move(done)](error_code ec, std::size_t n) mutable {
              --state->in_flight;
              std::move(done)(ec, n);
            });
          });
        },
        handler, buffers);
  }

 private:
  boost::beast::test::stream inner_;
  std::shared_ptr<probe_state> state_;
};

/// Beast's customization point for closing a stream at once (the transport's cut, timeouts).
inline void
beast_close_socket(probe_stream& stream)
{
  stream.inner().close();
}

// The WebSocket close handshake's last step, passed on to the test stream (its overloads are
// hidden friends, found by argument-dependent lookup).
inline void
teardown(boost::beast::role_type role, probe_stream& stream, error_code& ec)
{
  teardown(role, stream.inner(), ec);
}

template <typename Handler>
void
async_teardown(boost::beast::role_type role, probe_stream& stream, Handler&& handler)
{
  async_teardown(role, stream.inner(), std::forward<Handler>(handler));
}

}  // namespace tandem::testing
