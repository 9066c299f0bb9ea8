// Circuit breaker for Redis and PostgreSQL: after `failure_threshold` failures in a row the
// breaker opens and callers fail fast (a retryable error frame instead of a hang); after
// `open_ms` one probe is let through (half-open); its success closes the breaker again.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/time.hpp"

namespace tandem::core {

enum class breaker_state : std::uint8_t { closed, open, half_open };

std::string_view breaker_state_name(breaker_state state) noexcept;

struct breaker_policy {
  int failure_threshold = 5;
  unix_ms open_ms = 2000;
};

class circuit_breaker {
 public:
  explicit circuit_breaker(breaker_policy policy = {}) noexcept : policy_{policy} {}

  /// May a call go ahead now? In half-open, only the first caller (the probe) is allowed.
  bool allow(unix_ms now) noexcept;
  void record_success() noexcept;
  void record_failure(unix_ms now) noexcept;

  breaker_state state() const noexcept { return state_; }
  /// Milliseconds until a probe will be allowed (0 unless open): the error frame's retry_after.
  unix_ms retry_after_ms(unix_ms now) const noexcept;

 private:
  breaker_policy policy_;
  breaker_state state_ = breaker_state::closed;
  int failures_ = 0;
  unix_ms opened_at_ = 0;
  bool probe_in_flight_ = false;
};

}  // namespace tandem::core
