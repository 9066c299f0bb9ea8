// Pool mechanics: acquire parks on a timer when every connection is busy; the breaker counts
// only failures to reach the database (not SQL errors, which a retry would repeat).
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
    : executor_{executor}, config_{std::move(config)}, released_{executor}, breaker_{config_.breaker}
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
  released_.cancel();
}

awaitable<pg_pool::slot*>
pg_pool::acquire()
{
  auto const give_up = std::chrono::steady_clock::now() + config_.timeout;
  for (;;) {
    for (auto& s : slots_) {
      if (!s.busy) {
        s.busy = true;
        co_return &s;
      }
    }
    if (std::chrono::steady_clock::now() >= give_up) co_return nullptr;
    released_.expires_at(give_up);
    error_code ec;
    co_await released_.async_wait(as_value(ec));
  }
}

void
pg_pool::release(slot& s)
{
  s.busy = false;
  released_.cancel();
}

awaitable<pg_outcome>
pg_pool::query(std::string const& sql, pg_params const& params)
{
  pg_outcome out;
  if (!breaker_.allow(now_ms())) {
    out.error = "database circuit breaker is open";
    out.unavailable = true;
    co_return out;
  }
  slot* s = co_await acquire();
  if (!s) {
    out.error = "no free database connection in time";
    out.unavailable = true;
    breaker_.record_failure(now_ms());
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
  out = co_await s->connection->query(sql, params, config_.timeout);
  release(*s);
  if (!out.error.empty()) {
    out.unavailable = true;
    breaker_.record_failure(now_ms());
    spdlog::warn("event=postgres_query_failed error=\"{}\"", out.error.substr(0, out.error.find('\n')));
  } else {
    breaker_.record_success();
  }
  co_return out;
}

}  // namespace tandem::store
