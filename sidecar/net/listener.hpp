// Accepts TCP connections on one I/O thread. Every thread binds the same address with
// SO_REUSEPORT, so the kernel spreads connections over threads with no shared acceptor.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <memory>
#include <string>

#include "asio/asio.hpp"
#include "net/descriptor_reserve.hpp"

namespace tandem::net {

struct io_worker;

class listener : public std::enable_shared_from_this<listener> {
 public:
  /// Binds now (so a bad address fails start-up); throws boost::system::system_error. Out of
  /// descriptors, it borrows from `reserve`, the process's (shared by its listeners).
  listener(io_worker& worker, asio::ip::tcp::endpoint endpoint, bool admin_only, descriptor_reserve& reserve);
  listener(listener const&) = delete;
  listener& operator=(listener const&) = delete;
  void start();
  /// Stops accepting. Connections already waiting in the backlog are accepted first and
  /// served (a drain answers their upgrades with 503), not reset by closing the socket; out of
  /// descriptors, they are answered 503 at once.
  void stop();
  asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  awaitable<void> accept_loop();
  /// Out of descriptors: borrows one from the reserve to take the waiting connections off the
  /// backlog and answer them 503, so clients are told instead of hanging in the queue.
  void shed_waiting();

  io_worker& worker_;
  asio::ip::tcp::acceptor acceptor_;
  bool admin_only_;
  descriptor_reserve& reserve_;
};

/// "host:port" → endpoint; throws std::invalid_argument with a readable message.
asio::ip::tcp::endpoint parse_endpoint(std::string const& host_port);

}  // namespace tandem::net
