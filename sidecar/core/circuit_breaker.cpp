// The breaker's transitions; the clock is a parameter like everywhere in the core.
#include "core/circuit_breaker.hpp"

#include <algorithm>

namespace tandem::core {

std::string_view
breaker_state_name(breaker_state state) noexcept
{
  switch (state) {
    case breaker_state::closed: return "closed";
    case breaker_state::open: return "open";
    case breaker_state::half_open: return "half_open";
  }
  return "closed";
}

bool
circuit_breaker::allow(unix_ms now) noexcept
{
  if (state_ == breaker_state::open && now - opened_at_ >= policy_.open_ms) {
    state_ = breaker_state::half_open;
    probe_in_flight_ = false;
  }
  if (state_ == breaker_state::closed) return true;
  if (state_ == breaker_state::half_open && !probe_in_flight_) {
    probe_in_flight_ = true;
    return true;
  }
  return false;
}

void
circuit_breaker::record_success() noexcept
{
  state_ = breaker_state::closed;
  failures_ = 0;
  probe_in_flight_ = false;
}

void
circuit_breaker::record_failure(unix_ms now) noexcept
{
  ++failures_;
  // A failed probe reopens at once; a closed breaker opens at the threshold.
  if (state_ == breaker_state::half_open || failures_ >= policy_.failure_threshold) {
    state_ = breaker_state::open;
    opened_at_ = now;
    probe_in_flight_ = false;
  }
}

unix_ms
circuit_breaker::retry_after_ms(unix_ms now) const noexcept
{
  if (state_ != breaker_state::open) return 0;
  return std::max<unix_ms>(policy_.open_ms - (now - opened_at_), 0);
}

}  // namespace tandem::core
