// An in-process Redis for the I/O tests: a loopback TCP server on the test's io_context that
// understands a few commands and can be made hostile (a tiny receive buffer, slow reads,
// stalls, closing right after accept, READONLY replies), so the connection code meets partial
// writes and resets that a real local Redis almost never produces.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "asio/asio.hpp"
#include "run_until.hpp"

namespace tandem::testing {

struct fake_redis_options {
  /// SO_RCVBUF of accepted sockets (0 = the system's default).
  int receive_buffer = 0;
  /// Bytes read per read call, and a pause before each read: a slow consumer.
  std::size_t read_chunk = 64 * 1024;
  std::chrono::milliseconds read_pause{0};
  /// Close each connection as soon as it is accepted (maxclients, a proxy with no backend).
  bool close_on_accept = false;
  /// Answer every write command with -READONLY (a primary that became a replica).
  bool readonly = false;
  /// Close the connection instead of answering the next `resets` commands named `reset_on`
  /// (a reset with that command in flight: its outcome unknown to the client).
  std::string reset_on{};
  std::size_t resets = 0;
};

class fake_redis {
 public:
  fake_redis(asio::any_io_executor executor, fake_redis_options options = {});
  ~fake_redis();

  std::uint16_t port() const;
  /// "redis://127.0.0.1:<port>/0"
  std::string url() const;
  fake_redis_options& options() { return *options_; }

  std::size_t connections_accepted() const { return *accepted_; }
  std::size_t protocol_errors() const { return *protocol_errors_; }
  /// Commands received, in arrival order (name and arguments).
  std::vector<std::vector<std::string>> const& commands() const { return *commands_; }
  /// Closes every open connection (the server keeps listening).
  void drop_connections();
  void stop();

 private:
  awaitable<void> accept_loop();
  awaitable<void> serve(std::shared_ptr<asio::ip::tcp::socket> socket);

  asio::any_io_executor executor_;
  std::shared_ptr<fake_redis_options> options_;
  asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<std::size_t> accepted_ = std::make_shared<std::size_t>(0);
  std::shared_ptr<std::size_t> protocol_errors_ = std::make_shared<std::size_t>(0);
  std::shared_ptr<std::vector<std::vector<std::string>>> commands_ =
      std::make_shared<std::vector<std::vector<std::string>>>();
  std::shared_ptr<std::vector<std::weak_ptr<asio::ip::tcp::socket>>> open_ =
      std::make_shared<std::vector<std::weak_ptr<asio::ip::tcp::socket>>>();
};

}  // namespace tandem::testing
