// spdlog set-up: one stderr sink behind an asynchronous logger, UTC, a logfmt pattern; the
// message text is already logfmt. See logging.hpp for the threading and the shutdown order.
#include "ops/logging.hpp"

#include <spdlog/async.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace tandem::ops {

namespace {

// The running service's queue, for the figures read from other threads (metrics, _exit).
std::atomic<spdlog::details::thread_pool*> running_pool{nullptr};

}  // namespace

log_service::~log_service()
{
  shutdown();
}

std::string
log_service::configure(std::string const& level, std::string const& format, std::size_t queue_lines)
{
  auto const parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") return "unknown log_level " + level;
  if (queue_lines < 16) return "log_queue_lines must be at least 16";
  pool_ = std::make_shared<spdlog::details::thread_pool>(queue_lines, 1);
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  // A full queue drops its oldest line rather than block the thread that logs: a stalled log
  // reader must not stall chat. Drops are counted and exported.
  logger_ = std::make_shared<spdlog::async_logger>("tandem", std::move(sink), pool_,
                                                   spdlog::async_overflow_policy::overrun_oldest);
  if (format == "logfmt") {
    logger_->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%fZ level=%l thread=%t %v", spdlog::pattern_time_type::utc);
  } else {
    logger_->set_pattern("%H:%M:%S.%e %^%-5l%$ %v");
  }
  logger_->set_level(parsed);
  logger_->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger_);
  running_pool.store(pool_.get());
  return {};
}

void
log_service::shutdown() noexcept
{
  if (!pool_) return;
  // Order matters: nobody can reach the logger any more, then the queue is written out and
  // the background thread joined (the pool's destructor queues a stop after every line), and
  // only then does the last reference to the logger, and so to the sink, go, on this thread.
  spdlog::shutdown();
  running_pool.store(nullptr);
  pool_.reset();
  logger_.reset();
}

std::uint64_t
log_lines_dropped() noexcept
{
  auto* pool = running_pool.load();
  return pool ? pool->overrun_counter() : 0;
}

void
drain_log_queue(int limit_ms) noexcept
{
  auto* pool = running_pool.load();
  if (!pool) return;
  auto const until = std::chrono::steady_clock::now() + std::chrono::milliseconds{limit_ms};
  while (pool->queue_size() > 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  // The line being written when the queue emptied gets a moment to reach the sink.
  std::this_thread::sleep_for(std::chrono::milliseconds{20});
}

std::string
logfmt_value(std::string_view value)
{
  bool const plain = !value.empty() && value.find_first_of(" \"=\\\t\n") == std::string_view::npos;
  if (plain) return std::string{value};
  std::string out{"\""};
  for (char c : value) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace tandem::ops
