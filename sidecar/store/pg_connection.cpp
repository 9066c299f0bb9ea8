// The libpq non-blocking protocol (connect poll, send, flush, consume, get results) with Asio
// waits on PQsocket. A deadline cancels the wait, so no query can hang a socket forever, and a
// timed-out statement is cancelled on the server too.
#include "store/pg_connection.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <thread>
#include <utility>

namespace tandem::store {

pg_connection::pg_connection(asio::any_io_executor executor, std::string conninfo)
    : executor_{executor}, conninfo_{std::move(conninfo)}, socket_{executor}, deadline_{executor}
{
}

pg_connection::~pg_connection()
{
  deadline_state_->alive = false;  // a deadline handler still queued must not touch us
  reset();
}

void
pg_connection::reset() noexcept
{
  // The descriptor belongs to libpq: release it from Asio before PQfinish closes it.
  if (socket_.is_open()) {
    error_code ignored;
    socket_.cancel(ignored);
    socket_.release();
  }
  if (conn_) {
    PQfinish(conn_);
    conn_ = nullptr;
  }
  prepared_.clear();  // prepared statements live in the server session that just ended
}

bool
pg_connection::usable() const noexcept
{
  return conn_ && PQstatus(conn_) == CONNECTION_OK;
}

bool
pg_connection::attach_socket(bool fresh)
{
  int const fd = PQsocket(conn_);
  if (fd < 0) return false;
  if (!fresh && socket_.is_open() && socket_.native_handle() == fd) return true;
  if (socket_.is_open()) socket_.release();
  error_code ec;
  socket_.assign(fd, ec);
  return !ec;
}

void
pg_connection::arm_deadline(std::chrono::milliseconds timeout)
{
  auto const operation = ++deadline_state_->operation;
  deadline_state_->timed_out = false;
  deadline_.expires_after(timeout);
  deadline_.async_wait([this, state = deadline_state_, operation](error_code ec) {
    // Cancelled, re-armed for a later operation, or the connection is gone: not ours to end.
    if (ec || !state->alive || state->operation != operation) return;
    state->timed_out = true;
    error_code ignored;
    socket_.cancel(ignored);
  });
}

void
pg_connection::disarm_deadline()
{
  ++deadline_state_->operation;  // an expiry already queued now belongs to nobody
  deadline_.cancel();
}

awaitable<bool>
pg_connection::wait(wait_for direction)
{
  if (timed_out() || !attach_socket()) co_return false;
  error_code ec;
  auto const kind = direction == wait_for::read ? asio::posix::stream_descriptor::wait_read
                                                : asio::posix::stream_descriptor::wait_write;
  co_await socket_.async_wait(kind, as_value(ec));
  co_return !ec && !timed_out();
}

void
pg_connection::cancel_on_server() noexcept
{
  if (!conn_) return;
  PGcancel* cancel = PQgetCancel(conn_);
  if (!cancel) return;
  // PQcancel opens its own connection and blocks until the server answers, so it runs on a
  // thread of its own, never on the I/O thread. PGcancel is safe to use from another thread.
  try {
    spdlog::info("event=postgres_cancel_sent");
    std::thread{[cancel] {
      // No logging here: this thread may outlive the logger at exit.
      char error[256];
      PQcancel(cancel, error, sizeof error);
      PQfreeCancel(cancel);
    }}.detach();
  } catch (std::system_error const&) {
    PQfreeCancel(cancel);
  }
}

awaitable<std::vector<std::pair<std::string, std::string>>>
pg_connection::resolved_conninfo()
{
  std::vector<std::pair<std::string, std::string>> options;
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo_.c_str(), &error);
  if (!parsed) {
    PQfreemem(error);
    co_return options;  // empty: connect() hands libpq the string and reports its error
  }
  std::string host, hostaddr, port;
  for (auto* o = parsed; o->keyword; ++o) {
    if (!o->val) continue;
    std::string const keyword = o->keyword;
    if (keyword == "host") host = o->val;
    if (keyword == "hostaddr") hostaddr = o->val;
    if (keyword == "port") port = o->val;
    options.emplace_back(keyword, o->val);
  }
  PQconninfoFree(parsed);
  error_code ec;
  bool const single_name = !host.empty() && host.front() != '/' && host.find(',') == std::string::npos &&
                           hostaddr.empty() && (asio::ip::make_address(host, ec), ec);
  if (!single_name) co_return options;
  asio::ip::tcp::resolver resolver{executor_};
  auto const results = co_await resolver.async_resolve(host, port.empty() ? "5432" : port, as_value(ec));
  if (ec || results.empty()) co_return options;  // libpq resolves (and reports) it itself
  // Every address, in the resolver's order, as libpq would try them: host names the server
  // (for TLS and the password file) once per address.
  std::string hosts, addresses;
  for (auto const& entry : results) {
    if (!addresses.empty()) {
      hosts += ',';
      addresses += ',';
    }
    hosts += host;
    addresses += entry.endpoint().address().to_string();
  }
  for (auto& [keyword, value] : options)
    if (keyword == "host") value = hosts;
  options.emplace_back("hostaddr", addresses);
  co_return options;
}

awaitable<std::string>
pg_connection::connect(std::chrono::milliseconds timeout)
{
  reset();
  auto const options = co_await resolved_conninfo();
  if (options.empty()) {
    conn_ = PQconnectStart(conninfo_.c_str());
  } else {
    std::vector<char const*> keywords, values;
    for (auto const& [keyword, value] : options) {
      keywords.push_back(keyword.c_str());
      values.push_back(value.c_str());
    }
    keywords.push_back(nullptr);
    values.push_back(nullptr);
    conn_ = PQconnectStartParams(keywords.data(), values.data(), 0);
  }
  if (!conn_) co_return "out of memory";
  if (PQstatus(conn_) == CONNECTION_BAD) {
    std::string message = PQerrorMessage(conn_);
    reset();
    co_return message;
  }
  arm_deadline(timeout);
  auto poll = PGRES_POLLING_WRITING;
  while (poll != PGRES_POLLING_OK && poll != PGRES_POLLING_FAILED) {
    bool const ready = co_await wait(poll == PGRES_POLLING_READING ? wait_for::read : wait_for::write);
    if (!ready) {
      bool const expired = timed_out();
      disarm_deadline();
      reset();
      co_return expired ? "connection timed out" : "connection socket failed";
    }
    poll = PQconnectPoll(conn_);
    if (poll != PGRES_POLLING_FAILED && !attach_socket(true)) poll = PGRES_POLLING_FAILED;
  }
  disarm_deadline();
  if (poll == PGRES_POLLING_FAILED) {
    std::string message = PQerrorMessage(conn_);
    reset();
    co_return message;
  }
  PQsetnonblocking(conn_, 1);
  co_return co_await apply_session_limits(timeout);
}

awaitable<std::string>
pg_connection::apply_session_limits(std::chrono::milliseconds timeout)
{
  // The server gives up on a statement (or a lock wait) just before we do, so a query we
  // abandoned cannot keep running and holding locks behind our back, and a statement that ran
  // out of time is usually reported rolled back by the server (55P03, 57014) instead of left
  // unknown by our deadline: a batch that met a locked row can then be applied again safely.
  auto const margin = std::min(timeout / 10, std::chrono::milliseconds{500});
  auto const ms = std::to_string(std::max<std::int64_t>(1, (timeout - margin).count()));
  pg_params const params{ms};
  auto out = co_await query(
      "SELECT set_config('statement_timeout', $1, false), set_config('lock_timeout', $1, false)", params, timeout);
  if (!out.error.empty()) co_return out.error;
  if (!out.result.ok()) {
    std::string message = out.result.error_message();
    reset();
    co_return message;
  }
  co_return std::string{};
}

namespace {

std::vector<char const*>
values_of(pg_params const& params)
{
  std::vector<char const*> values;
  values.reserve(params.size());
  for (auto const& p : params) values.push_back(p ? p->c_str() : nullptr);
  return values;
}

/// The name the server knows `statement` by: its name and a hash of its SQL (FNV-1a, 64 bits).
/// Behind a pooler that shares server sessions, another client may have prepared the same name
/// with other SQL (another sidecar version during a rolling upgrade, a site with other table
/// names); with the SQL's hash in the name, a name already there (42P05) is the same statement.
std::string
server_name(pg_statement const& statement)
{
  std::uint64_t hash = 14695981039346656037ULL;
  for (unsigned char const c : statement.sql) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = statement.name + '_';
  for (int shift = 60; shift >= 0; shift -= 4) out.push_back(digits[(hash >> shift) & 0xF]);
  return out;
}

pg_outcome
not_connected()
{
  pg_outcome out;
  out.error = "not connected";
  return out;
}

}  // namespace

awaitable<pg_outcome>
pg_connection::query(std::string const& sql, pg_params const& params, std::chrono::milliseconds timeout)
{
  if (!usable()) co_return not_connected();
  auto const values = values_of(params);
  bool const sent = PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                                      nullptr, nullptr, 0) == 1;
  auto out = co_await finish_sent(sent, timeout);
  co_return out;
}

awaitable<pg_outcome>
pg_connection::prepare(pg_statement const& statement, std::chrono::milliseconds timeout)
{
  // Parameter types come from the SQL's casts; a failed prepare (an SQL error) leaves the
  // connection usable and the statement unprepared, so the next use tries again.
  auto const name = server_name(statement);
  bool const sent = PQsendPrepare(conn_, name.c_str(), statement.sql.c_str(), 0, nullptr) == 1;
  auto out = co_await finish_sent(sent, timeout);
  // 42P05: the server session already holds the name. Behind PgBouncer in transaction pooling
  // the session is shared by many client connections, and another one (of this process or a
  // sibling: the name holds the SQL's hash, so it is this very statement) prepared it.
  if (out.error.empty() && (out.result.ok() || out.result.sqlstate() == "42P05")) prepared_.insert(name);
  co_return out;
}

awaitable<pg_outcome>
pg_connection::run_prepared(pg_statement const& statement, pg_params const& params, std::chrono::milliseconds timeout)
{
  if (!usable()) co_return not_connected();
  auto const name = server_name(statement);
  if (!prepared_.contains(name)) {
    auto prepared = co_await prepare(statement, timeout);
    if (!prepared_.contains(name)) co_return prepared;
  }
  auto const values = values_of(params);
  bool const sent = PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(values.size()), values.data(),
                                        nullptr, nullptr, 0) == 1;
  auto out = co_await finish_sent(sent, timeout);
  co_return out;
}

awaitable<pg_outcome>
pg_connection::execute(pg_statement const& statement, pg_params const& params, std::chrono::milliseconds timeout)
{
  auto out = co_await run_prepared(statement, params, timeout);
  if (!out.error.empty()) co_return out;
  auto const sqlstate = out.result.sqlstate();
  // 26000: the server session lacks the statement although this connection prepared it: behind
  // PgBouncer in transaction pooling each statement may run on another server connection.
  // 0A000: a schema change altered the statement's result type ("cached plan must not change
  // result type"); it fails on every later run until prepared anew. Both: prepare and retry,
  // once (a second failure is reported, not looped on).
  if (sqlstate != "26000" && sqlstate != "0A000") co_return out;
  spdlog::info("event=postgres_statement_prepared_again statement={} sqlstate={}", statement.name, sqlstate);
  prepared_.erase(server_name(statement));
  if (sqlstate == "0A000") {
    std::string const deallocate = "DEALLOCATE \"" + server_name(statement) + "\"";  // names are ours: plain identifiers
    pg_params const none;
    auto dropped = co_await query(deallocate, none, timeout);
    if (!dropped.error.empty()) co_return dropped;  // the connection failed (and was reset)
  }
  out = co_await run_prepared(statement, params, timeout);
  // Still stale: a new session prepares everything anew (without PgBouncer in between).
  if (out.error.empty() && out.result.sqlstate() == "0A000") reset();
  co_return out;
}

awaitable<pg_outcome>
pg_connection::finish_sent(bool sent, std::chrono::milliseconds timeout)
{
  pg_outcome out;
  if (!sent) {
    out.error = PQerrorMessage(conn_);
    reset();
    co_return out;
  }
  arm_deadline(timeout);
  auto fail = [&] {
    bool const expired = timed_out();
    out.error = expired ? "query timed out" : PQerrorMessage(conn_);
    out.timed_out = expired;
    disarm_deadline();
    if (expired) cancel_on_server();
    reset();
  };
  // Flush the query out; a full socket buffer means wait for writability.
  for (int flushed = PQflush(conn_); flushed != 0; flushed = PQflush(conn_)) {
    if (flushed < 0 || !co_await wait(wait_for::write)) {
      fail();
      co_return out;
    }
  }
  // Read every result; keep the first (one statement per query), discard the rest.
  bool have_first = false;
  for (;;) {
    while (PQisBusy(conn_)) {
      if (!co_await wait(wait_for::read) || PQconsumeInput(conn_) != 1) {
        fail();
        co_return out;
      }
    }
    PGresult* raw = PQgetResult(conn_);
    if (!raw) break;
    if (!have_first) {
      out.result = pg_result{raw};
      have_first = true;
    } else {
      PQclear(raw);
    }
  }
  disarm_deadline();
  co_return out;
}

}  // namespace tandem::store
