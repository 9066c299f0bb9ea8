// One Redis connection on Asio: commands are pipelined (written together, replies matched in
// order), the connection re-establishes itself with backoff, and callers never hang: while it
// is down, calls fail at once with layer_errc::not_connected.
//
// Threading: every member must be used on the executor given at creation (one thread).
#pragma once

#include <boost/asio/generic/stream_protocol.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "asio/asio.hpp"
#include "core/backoff.hpp"
#include "layer/redis_endpoint.hpp"
#include "layer/resp_reader.hpp"
#include "layer/resp_value.hpp"

namespace tandem::layer {

struct connection_options {
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{5000};  // added to a blocking command's own timeout
  core::backoff_policy reconnect{100, 2.0, 5000, 0.3, 1'000'000};
};

struct resp_batch {
  error_code ec;                    // transport failure: the replies are missing
  std::vector<resp_value> replies;  // one per command, in order (error replies included)
};

class resp_connection : public std::enable_shared_from_this<resp_connection> {
 public:
  static std::shared_ptr<resp_connection> create(asio::any_io_executor executor, redis_endpoint endpoint,
                                                 connection_options options = {});

  /// Connects and stays connected until stop().
  void start();
  void stop();
  bool connected() const noexcept { return connected_; }
  redis_endpoint const& endpoint() const noexcept { return endpoint_; }

  /// Sends `commands` in one write and waits for all their replies. `extra_timeout` lengthens
  /// the wait for blocking commands (BZPOPMIN ... 5).
  awaitable<resp_batch> run(std::vector<std::vector<std::string>> commands,
                            std::chrono::milliseconds extra_timeout = std::chrono::milliseconds{0});

  /// Called on the executor after every successful (re)connect and handshake.
  void on_connect(std::function<void()> hook) { on_connect_ = std::move(hook); }

  /// Completes when the connection is up (true) or after `limit` (false).
  awaitable<bool> wait_connected(std::chrono::milliseconds limit);

  std::uint64_t commands_sent() const noexcept { return commands_sent_; }

 private:
  struct call;

  resp_connection(asio::any_io_executor executor, redis_endpoint endpoint, connection_options options);
  awaitable<void> connection_loop();
  awaitable<error_code> connect_socket();
  awaitable<error_code> handshake();
  awaitable<void> read_loop();
  awaitable<void> write_loop();
  void deliver(resp_value value);
  void close_with(error_code ec);

  asio::any_io_executor executor_;
  redis_endpoint endpoint_;
  connection_options options_;
  asio::generic::stream_protocol::socket socket_;
  asio::steady_timer closed_signal_;
  asio::steady_timer retry_timer_;
  std::unique_ptr<resp_reader> reader_;
  std::deque<std::shared_ptr<call>> waiting_;
  std::string outbox_;
  bool writing_ = false;
  bool connected_ = false;
  bool stopped_ = false;
  std::function<void()> on_connect_;
  std::uint64_t commands_sent_ = 0;
};

}  // namespace tandem::layer
