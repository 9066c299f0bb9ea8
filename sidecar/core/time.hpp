// Time as the core sees it: plain milliseconds since the Unix epoch, always passed in by the
// caller. The core never reads a clock, so every rule is deterministic and testable.
#pragma once

#include <cstdint>

namespace tandem::core {

/// Milliseconds since 1970-01-01T00:00:00Z.
using unix_ms = std::int64_t;

inline constexpr unix_ms ms_per_second = 1000;
inline constexpr unix_ms ms_per_minute = 60 * ms_per_second;
inline constexpr unix_ms ms_per_hour = 60 * ms_per_minute;
inline constexpr unix_ms ms_per_day = 24 * ms_per_hour;

}  // namespace tandem::core
