// The libpq non-blocking protocol (connect poll, send, flush, consume, get results) with Asio
// waits on PQsocket. A deadline timer cancels the wait, so no query can hang a socket forever.
#include "store/pg_connection.hpp"

namespace tandem::store {

pg_connection::pg_connection(asio::any_io_executor executor, std::string conninfo)
    : executor_{executor}, conninfo_{std::move(conninfo)}, socket_{executor}, deadline_{executor}
{
}

pg_connection::~pg_connection()
{
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
}

bool
pg_connection::usable() const noexcept
{
  return conn_ && PQstatus(conn_) == CONNECTION_OK;
}

bool
pg_connection::attach_socket()
{
  int const fd = PQsocket(conn_);
  if (fd < 0) return false;
  if (socket_.is_open() && socket_.native_handle() == fd) return true;
  if (socket_.is_open()) socket_.release();
  error_code ec;
  socket_.assign(fd, ec);
  return !ec;
}

void
pg_connection::arm_deadline(std::chrono::milliseconds timeout)
{
  timed_out_ = false;
  deadline_.expires_after(timeout);
  deadline_.async_wait([this](error_code ec) {
    if (ec) return;  // re-armed or cancelled; `this` may be gone, so touch nothing
    timed_out_ = true;
    error_code ignored;
    socket_.cancel(ignored);
  });
}

awaitable<bool>
pg_connection::wait(wait_for direction)
{
  if (timed_out_ || !attach_socket()) co_return false;
  error_code ec;
  auto const kind = direction == wait_for::read ? asio::posix::stream_descriptor::wait_read
                                                : asio::posix::stream_descriptor::wait_write;
  co_await socket_.async_wait(kind, as_value(ec));
  co_return !ec && !timed_out_;
}

awaitable<std::string>
pg_connection::connect(std::chrono::milliseconds timeout)
{
  reset();
  conn_ = PQconnectStart(conninfo_.c_str());
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
      deadline_.cancel();
      reset();
      co_return timed_out_ ? "connection timed out" : "connection socket failed";
    }
    poll = PQconnectPoll(conn_);
  }
  deadline_.cancel();
  if (poll == PGRES_POLLING_FAILED) {
    std::string message = PQerrorMessage(conn_);
    reset();
    co_return message;
  }
  PQsetnonblocking(conn_, 1);
  co_return std::string{};
}

awaitable<pg_outcome>
pg_connection::query(std::string const& sql, pg_params const& params, std::chrono::milliseconds timeout)
{
  pg_outcome out;
  if (!usable()) {
    out.error = "not connected";
    co_return out;
  }
  std::vector<char const*> values;
  values.reserve(params.size());
  for (auto const& p : params) values.push_back(p ? p->c_str() : nullptr);
  if (PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                        nullptr, 0) != 1) {
    out.error = PQerrorMessage(conn_);
    reset();
    co_return out;
  }
  arm_deadline(timeout);
  // Flush the query out; a full socket buffer means wait for writability.
  for (int flushed = PQflush(conn_); flushed != 0; flushed = PQflush(conn_)) {
    if (flushed < 0 || !co_await wait(wait_for::write)) {
      out.error = timed_out_ ? "query timed out" : PQerrorMessage(conn_);
      reset();
      co_return out;
    }
  }
  // Read every result; keep the first (one statement per query), discard the rest.
  bool have_first = false;
  for (;;) {
    while (PQisBusy(conn_)) {
      if (!co_await wait(wait_for::read) || PQconsumeInput(conn_) != 1) {
        out.error = timed_out_ ? "query timed out" : PQerrorMessage(conn_);
        reset();
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
  deadline_.cancel();
  co_return out;
}

}  // namespace tandem::store
