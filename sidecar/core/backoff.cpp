// Exponential backoff with symmetric jitter.
#include "core/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace tandem::core {

std::optional<unix_ms>
backoff_delay(backoff_policy const& policy, int attempt, double random01) noexcept
{
  if (attempt < 1 || attempt > policy.max_attempts) return std::nullopt;
  if (!(random01 >= 0.0)) random01 = 0.0;  // also catches NaN
  random01 = std::min(random01, std::nextafter(1.0, 0.0));
  double const base = std::min(static_cast<double>(policy.max_ms),
                               static_cast<double>(policy.initial_ms) * std::pow(policy.factor, attempt - 1));
  double const spread = 1.0 - policy.jitter + 2.0 * policy.jitter * random01;
  return static_cast<unix_ms>(std::llround(base * spread));
}

}  // namespace tandem::core
