// Token bucket arithmetic in doubles: exact enough for rates from 0.001/s to millions/s.
#include "core/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace tandem::core {

token_bucket::token_bucket(double rate_per_second, double burst, unix_ms now) noexcept
    : rate_per_ms_{std::max(rate_per_second, 0.0) / 1000.0},
      burst_{std::max(burst, 1.0)},
      level_{burst_},
      updated_{now}
{
}

double
token_bucket::level_at(unix_ms now) const noexcept
{
  // A clock that steps backwards adds nothing rather than removing tokens.
  auto const elapsed = static_cast<double>(std::max<unix_ms>(now - updated_, 0));
  return std::min(burst_, level_ + elapsed * rate_per_ms_);
}

bool
token_bucket::try_take(unix_ms now) noexcept
{
  level_ = level_at(now);
  updated_ = std::max(updated_, now);
  if (level_ < 1.0) return false;
  level_ -= 1.0;
  return true;
}

unix_ms
token_bucket::wait_ms(unix_ms now) const noexcept
{
  auto const level = level_at(now);
  if (level >= 1.0) return 0;
  if (rate_per_ms_ <= 0.0) return ms_per_day;
  return static_cast<unix_ms>(std::ceil((1.0 - level) / rate_per_ms_));
}

}  // namespace tandem::core
