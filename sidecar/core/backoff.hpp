// Retry schedules as pure functions: exponential delays with jitter, where the randomness is a
// number in [0, 1) handed in by the caller (Math.random(), a seeded generator in tests).
#pragma once

#include <optional>

#include "core/time.hpp"

namespace tandem::core {

struct backoff_policy {
  unix_ms initial_ms;  // delay before the first retry, before jitter
  double factor;       // growth per attempt
  unix_ms max_ms;      // cap on the delay before jitter
  double jitter;       // ± fraction of the delay, spread by the random number
  int max_attempts;    // attempts after which the caller gives up

  bool operator==(backoff_policy const&) const = default;
};

/// Socket reconnects: first retry 0.5-1.5 s (within 2 s), doubling, 5 attempts, then "offline".
inline constexpr backoff_policy reconnect_backoff{1000, 2.0, 30000, 0.5, 5};

/// Message resends while unacknowledged: 3 attempts, then the message shows "failed".
inline constexpr backoff_policy message_retry_backoff{1000, 2.0, 10000, 0.5, 3};

/// Delay before retry number `attempt` (1-based), or nullopt when attempts are used up (or
/// attempt < 1). `random01` outside [0, 1) is clamped into it.
std::optional<unix_ms> backoff_delay(backoff_policy const& policy, int attempt, double random01) noexcept;

}  // namespace tandem::core
