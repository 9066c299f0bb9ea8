// spdlog set-up: one stderr sink, UTC, a logfmt pattern; the message text is already logfmt.
// Lines are flushed on warnings, not on every info line. (An asynchronous logger was tried:
// at exit its thread raced the sink's destruction under ThreadSanitizer, so it is not used.)
#include "ops/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace tandem::ops {

std::string
configure_logging(std::string const& level, std::string const& format)
{
  auto const parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") return "unknown log_level " + level;
  auto logger = spdlog::stderr_color_mt("tandem");
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
