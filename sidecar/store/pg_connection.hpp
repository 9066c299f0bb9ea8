// One non-blocking libpq connection driven by Asio: PQconnectPoll and the PQsend* calls wait on
// the connection's socket with the executor instead of blocking a thread. Not thread-safe: use
// it from the executor it was made on, one query at a time (pg_pool guarantees both).
#pragma once

#include <libpq-fe.h>

#include <boost/asio/posix/stream_descriptor.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "asio/asio.hpp"
#include "store/pg_result.hpp"

namespace tandem::store {

/// Text parameters; nullopt is SQL NULL.
using pg_params = std::vector<std::optional<std::string>>;

/// A statement the server parses and plans once per connection (the hot queries): prepared on
/// its first use on a connection, and again on the next connection after a reconnect. The name
/// must be unique per process; the server knows it as name_<hash of the SQL> (max 42 chars).
struct pg_statement {
  std::string name;
  std::string sql;
};

struct pg_outcome {
  pg_result result;
  std::string error;  // empty when the query ran (the result may still be an SQL error)
  bool unavailable = false;  // the database could not be asked (down, timeout, breaker open)
  bool timed_out = false;    // no answer in time: whether the statement committed is unknown
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
  /// Runs a prepared statement, preparing it first when this connection has not yet. When the
  /// server says the statement is missing (26000) or stale (0A000) it is prepared again and
  /// run once more.
  awaitable<pg_outcome> execute(pg_statement const& statement, pg_params const& params,
                                std::chrono::milliseconds timeout);
  /// Drops the connection (after a timeout its state is unknown).
  void reset() noexcept;

 private:
  enum class wait_for : std::uint8_t { read, write };
  /// Waits for the socket; false on timeout or error (the deadline timer cancels the wait).
  awaitable<bool> wait(wait_for direction);
  /// Starts the deadline of one operation (a connect or a query). Its expiry is tagged with
  /// the operation's number, so an expiry already queued when that operation finished cannot
  /// mark the next one as timed out.
  void arm_deadline(std::chrono::milliseconds timeout);
  void disarm_deadline();
  bool timed_out() const noexcept { return deadline_state_->timed_out; }
  /// Registers libpq's socket with Asio; `fresh` re-registers even when the descriptor number
  /// is the same (libpq may close and reopen it during connect: another host, IPv4 after IPv6,
  /// an SSL retry).
  bool attach_socket(bool fresh = false);
  /// Asks the server to stop the statement this connection is running (a timed-out query
  /// would otherwise keep its locks and its CPU).
  void cancel_on_server() noexcept;
  /// libpq resolves a host name synchronously inside PQconnectStart, stalling the I/O thread:
  /// when the conninfo names a single host by name (and no hostaddr), it is resolved here with
  /// Asio and libpq is given the address. Keywords and values for PQconnectStartParams.
  awaitable<std::vector<std::pair<std::string, std::string>>> resolved_conninfo();
  /// Flushes what a PQsend* call queued (`sent`: it returned 1) and reads its results; the
  /// first result is kept (one statement per query). Shared by plain and prepared queries.
  awaitable<pg_outcome> finish_sent(bool sent, std::chrono::milliseconds timeout);
  /// Prepares `statement` on this connection's server session; it then counts as prepared when
  /// the server accepted it or already held that name (42P05).
  awaitable<pg_outcome> prepare(pg_statement const& statement, std::chrono::milliseconds timeout);
  /// One prepare-if-needed and run, with no retry.
  awaitable<pg_outcome> run_prepared(pg_statement const& statement, pg_params const& params,
                                     std::chrono::milliseconds timeout);
  /// Per-connection limits so the server, too, gives up on a stuck statement.
  awaitable<std::string> apply_session_limits(std::chrono::milliseconds timeout);

  asio::any_io_executor executor_;
  std::string conninfo_;
  PGconn* conn_ = nullptr;
  std::unordered_set<std::string> prepared_;  // server names prepared on conn_ (gone with it)
  asio::posix::stream_descriptor socket_;
  asio::steady_timer deadline_;
  struct deadline_state {
    std::uint64_t operation = 0;  // the operation the armed deadline belongs to
    bool timed_out = false;
    bool alive = true;  // false once the connection is destroyed
  };
  std::shared_ptr<deadline_state> deadline_state_ = std::make_shared<deadline_state>();
};

}  // namespace tandem::store
