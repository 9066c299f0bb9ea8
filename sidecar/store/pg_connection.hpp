// One non-blocking libpq connection driven by Asio: PQconnectPoll and PQsendQueryParams wait on
// the connection's socket with the executor instead of blocking a thread. Not thread-safe: use
// it from the executor it was made on, one query at a time (pg_pool guarantees both).
#pragma once

#include <libpq-fe.h>

#include <boost/asio/posix/stream_descriptor.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "asio/asio.hpp"
#include "store/pg_result.hpp"

namespace tandem::store {

/// Text parameters; nullopt is SQL NULL.
using pg_params = std::vector<std::optional<std::string>>;

struct pg_outcome {
  pg_result result;
  std::string error;  // empty when the query ran (the result may still be an SQL error)
  bool unavailable = false;  // the database could not be asked (down, timeout, breaker open)
  bool ok() const noexcept { return error.empty() && result.ok(); }
  std::string describe() const { return error.empty() ? result.error_message() : error; }
};

class pg_connection {
 public:
  pg_connection(asio::any_io_executor executor, std::string conninfo);
  ~pg_connection();
  pg_connection(pg_connection const&) = delete;
  pg_connection& operator=(pg_connection const&) = delete;

  /// Connects (or reconnects); empty string on success, else libpq's message.
  awaitable<std::string> connect(std::chrono::milliseconds timeout);
  bool usable() const noexcept;
  awaitable<pg_outcome> query(std::string const& sql, pg_params const& params, std::chrono::milliseconds timeout);
  /// Drops the connection (after a timeout its state is unknown).
  void reset() noexcept;

 private:
  enum class wait_for : std::uint8_t { read, write };
  /// Waits for the socket; false on timeout or error (the deadline timer cancels the wait).
  awaitable<bool> wait(wait_for direction);
  void arm_deadline(std::chrono::milliseconds timeout);
  bool attach_socket();

  asio::any_io_executor executor_;
  std::string conninfo_;
  PGconn* conn_ = nullptr;
  asio::posix::stream_descriptor socket_;
  asio::steady_timer deadline_;
  bool timed_out_ = false;
};

}  // namespace tandem::store
