// Structured logs: logfmt lines (`ts=... level=... event=... key=value`) with UTC timestamps,
// or coloured text for a terminal. Every line from a connection carries `conn=<id>`.
#pragma once

#include <string>

namespace tandem::ops {

/// Returns an error message for an unknown level or format, else "".
std::string configure_logging(std::string const& level, std::string const& format);

/// Quotes a value for logfmt when it has spaces, quotes or '=' (escaping quotes and backslashes).
std::string logfmt_value(std::string_view value);

}  // namespace tandem::ops
