// Structured logs: logfmt lines (`ts=... level=... event=... key=value`) with UTC timestamps,
// or coloured text for a terminal. Every line from a connection carries `conn=<id>`.
//
// The logger is asynchronous: threads hand lines to a bounded queue and one background thread
// formats and writes them, so no I/O thread waits on a write(2) or on the sink's lock held by
// another thread, and a log reader that stalls (a full pipe) cannot stall the sidecar. When
// the queue is full the oldest lines are dropped and counted (tandem_log_lines_dropped_total).
// Warnings and errors are flushed as soon as the background thread writes them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace spdlog {
class logger;
namespace details {
class thread_pool;
}
}  // namespace spdlog

namespace tandem::ops {

/// Owns the logger and its background thread, and ends them in an explicit order. Make it
/// first in main() and shut it down last, after every thread that logs has been joined: the
/// queue is written out, the background thread joined, and only then is the sink destroyed,
/// on the calling thread (destroying it on the background thread raced under TSan).
class log_service {
 public:
  log_service() = default;
  ~log_service();
  log_service(log_service const&) = delete;
  log_service& operator=(log_service const&) = delete;

  /// Returns an error message for an unknown level or format, else "".
  std::string configure(std::string const& level, std::string const& format, std::size_t queue_lines);
  /// Writes out what is queued, joins the background thread, then destroys the logger.
  void shutdown() noexcept;

 private:
  std::shared_ptr<spdlog::details::thread_pool> pool_;
  std::shared_ptr<spdlog::logger> logger_;
};

/// Lines dropped because the queue was full, since start.
std::uint64_t log_lines_dropped() noexcept;

/// For `_exit` paths (a second signal): waits, at most `limit_ms`, until the queue is written.
void drain_log_queue(int limit_ms) noexcept;

/// Quotes a value for logfmt when it has spaces, quotes or '=' (escaping quotes and backslashes).
std::string logfmt_value(std::string_view value);

}  // namespace tandem::ops
