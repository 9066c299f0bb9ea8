// A small pool of libpq connections owned by one I/O thread (no locks: everything runs on that
// thread's executor), behind a circuit breaker so an outage answers in microseconds, not after
// a timeout per query.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "asio/asio.hpp"
#include "asio/handoff_queue.hpp"
#include "core/circuit_breaker.hpp"
#include "store/pg_connection.hpp"

namespace tandem::store {

struct pg_pool_config {
  std::string conninfo;
  std::size_t connections = 2;
  std::chrono::milliseconds timeout{5000};
  core::breaker_policy breaker{3, 2000};
  /// false: the hot statements run as unnamed parameterised queries (PQsendQueryParams), which
  /// any pooler in transaction mode passes through; true: prepared once per server session.
  bool prepared_statements = true;
  /// How long a query waits for a free connection while every one is busy. Busy connections
  /// are load, not an outage (a dead server fails fast through the breaker instead), so this
  /// is long: under overload a send is answered late (backpressure), not store_unavailable.
  std::chrono::milliseconds queue_timeout{30000};
};

class pg_pool {
 public:
  pg_pool(asio::any_io_executor executor, pg_pool_config config);

  /// Runs one statement on a free connection, (re)connecting as needed.
  awaitable<pg_outcome> query(std::string const& sql, pg_params const& params);
  /// The same for a hot statement, prepared on each connection the first time it runs there
  /// (or run unprepared when the config says so).
  awaitable<pg_outcome> query(pg_statement const& statement, pg_params const& params);

  core::breaker_state breaker_state() const noexcept { return breaker_.state(); }
  /// Queries waiting for a free connection right now.
  std::size_t waiting() const noexcept { return waiters_.waiting(); }
  /// Seconds to tell clients to wait while the breaker is open.
  double retry_after_s() const;
  void close();

 private:
  struct slot {
    std::unique_ptr<pg_connection> connection;
    bool busy = false;
  };
  awaitable<slot*> acquire();
  /// query() for either kind: `statement` set runs it prepared, else `sql` as a plain query.
  awaitable<pg_outcome> run(pg_statement const* statement, std::string const* sql, pg_params const& params);
  /// Hands the connection to the first waiter, or marks it free when nobody waits.
  void release(slot& s);
  /// Logs a statement the server answered with an error: at most one line a second, counting
  /// the ones left out (a failover to a read-only standby fails every write at traffic rate).
  void log_statement_error(pg_result const& result);

  asio::any_io_executor executor_;
  pg_pool_config config_;
  std::vector<slot> slots_;
  handoff_queue<slot*> waiters_;  // first come, first served, each on its own timer
  core::circuit_breaker breaker_;
  std::int64_t statement_error_logged_ms_ = 0;
  std::size_t statement_errors_unlogged_ = 0;
};

}  // namespace tandem::store
