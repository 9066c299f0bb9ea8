// Pool mechanics: acquire queues when every connection is busy and is handed one in arrival
// order; the breaker counts only failures to reach the database (not SQL errors, which a retry
// would repeat, and not a wait for a busy pool, which is load, not an outage).
#include "store/pg_pool.hpp"

#include <spdlog/spdlog.h>

namespace tandem::store {

namespace {

core::unix_ms
now_ms()
{
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

pg_pool::pg_pool(asio::any_io_executor executor, pg_pool_config config)
    : executor_{executor}, config_{std::move(config)}, waiters_{executor}, breaker_{config_.breaker}
{
  slots_.resize(std::max<std::size_t>(config_.connections, 1));
  for (auto& s : slots_) s.connection = std::make_unique<pg_connection>(executor_, config_.conninfo);
}

double
pg_pool::retry_after_s() const
{
  auto const ms = breaker_.retry_after_ms(now_ms());
  return static_cast<double>(ms > 0 ? ms : config_.breaker.open_ms) / 1000.0;
}

void
pg_pool::close()
{
  for (auto& s : slots_) s.connection->reset();
  waiters_.close();
}

awaitable<pg_pool::slot*>
pg_pool::acquire()
{
  // Someone already waiting goes first: a free slot exists only when nobody waits.
  if (waiters_.waiting() == 0) {
    for (auto& s : slots_) {
      if (!s.busy) {
        s.busy = true;
        co_return &s;
      }
    }
  }
  auto const given = co_await waiters_.wait(std::chrono::steady_clock::now() + config_.queue_timeout);
  co_return given.value_or(nullptr);  // handed over still busy: it is ours now
}

void
pg_pool::release(slot& s)
{
  if (!waiters_.hand_over(&s)) s.busy = false;
}

awaitable<pg_outcome>
pg_pool::query(std::string const& sql, pg_params const& params)
{
  auto out = co_await run(nullptr, &sql, params);
  co_return out;
}

awaitable<pg_outcome>
pg_pool::query(pg_statement const& statement, pg_params const& params)
{
  auto out = co_await run(&statement, nullptr, params);
  co_return out;
}

awaitable<pg_outcome>
pg_pool::run(pg_statement const* statement, std::string const* sql, pg_params const& params)
{
  pg_outcome out;
  if (!breaker_.allow(now_ms())) {
    out.error = "database circuit breaker is open";
    out.unavailable = true;
    co_return out;
  }
  slot* s = co_await acquire();
  if (!s) {
    // Every connection stayed busy: overload, not an outage, so the breaker is not told.
    out.error = "no free database connection in time";
    out.unavailable = true;
    co_return out;
  }
  if (!s->connection->usable()) {
    auto const error = co_await s->connection->connect(config_.timeout);
    if (!error.empty()) {
      spdlog::warn("event=postgres_connect_failed error=\"{}\"", error.substr(0, error.find('\n')));
      release(*s);
      breaker_.record_failure(now_ms());
      out.error = error;
      out.unavailable = true;
      co_return out;
    }
  }
  if (statement && config_.prepared_statements)
    out = co_await s->connection->execute(*statement, params, config_.timeout);
  else
    out = co_await s->connection->query(statement ? statement->sql : *sql, params, config_.timeout);
  release(*s);
  if (!out.error.empty()) {
    out.unavailable = true;
    breaker_.record_failure(now_ms());
    spdlog::warn("event=postgres_query_failed error=\"{}\"", out.error.substr(0, out.error.find('\n')));
  } else {
    breaker_.record_success();
    // The server answered with an error: callers turn it into a status, most without its text,
    // so it is logged here (nothing this sidecar runs fails by design).
    if (!out.result.ok()) log_statement_error(out.result);
  }
  co_return out;
}

void
pg_pool::log_statement_error(pg_result const& result)
{
  auto const now = now_ms();
  if (statement_error_logged_ms_ != 0 && now - statement_error_logged_ms_ < 1000) {
    ++statement_errors_unlogged_;
    return;
  }
  auto const message = result.error_message();
  spdlog::warn("event=postgres_statement_failed sqlstate={} error=\"{}\" unlogged_since_last={}", result.sqlstate(),
               message.substr(0, message.find('\n')), statement_errors_unlogged_);
  statement_error_logged_ms_ = now;
  statement_errors_unlogged_ = 0;
}

}  // namespace tandem::store
