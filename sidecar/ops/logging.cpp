// spdlog set-up: one stderr sink, UTC, a logfmt pattern; the message text is already logfmt.
// The logger is asynchronous: I/O threads hand lines to a queue and one background thread
// writes them, so no I/O thread waits on a write(2) or on the sink's lock held by another.
#include "ops/logging.hpp"

#include <spdlog/async.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace tandem::ops {

std::string
configure_logging(std::string const& level, std::string const& format)
{
  auto const parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") return "unknown log_level " + level;
  spdlog::init_thread_pool(8192, 1);
  // When the queue is full, threads wait rather than lose lines: logs explain outages.
  auto logger = spdlog::stderr_color_mt<spdlog::async_factory>("tandem");
  if (format == "logfmt") {
    logger->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%fZ level=%l thread=%t %v", spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%H:%M:%S.%e %^%-5l%$ %v");
  }
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  return {};
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
