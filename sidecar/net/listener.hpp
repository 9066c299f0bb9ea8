// Accepts TCP connections on one I/O thread. Every thread binds the same address with
// SO_REUSEPORT, so the kernel spreads connections over threads with no shared acceptor.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <memory>
#include <string>

#include "asio/asio.hpp"

namespace tandem::net {

struct io_worker;

class listener : public std::enable_shared_from_this<listener> {
 public:
  /// Binds now (so a bad address fails start-up); throws boost::system::system_error.
  listener(io_worker& worker, asio::ip::tcp::endpoint endpoint, bool admin_only);
  void start();
  void stop();
  asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  awaitable<void> accept_loop();

  io_worker& worker_;
  asio::ip::tcp::acceptor acceptor_;
  bool admin_only_;
};

/// "host:port" → endpoint; throws std::invalid_argument with a readable message.
asio::ip::tcp::endpoint parse_endpoint(std::string const& host_port);

}  // namespace tandem::net
