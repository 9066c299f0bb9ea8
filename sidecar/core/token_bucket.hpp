// Per-connection message rate limit: a token bucket whose clock is passed in, so the sidecar,
// the tests and the Python module all see the same decisions.
#pragma once

#include "core/time.hpp"

namespace tandem::core {

class token_bucket {
 public:
  /// `rate_per_second` tokens flow in per second up to `burst`; the bucket starts full.
  token_bucket(double rate_per_second, double burst, unix_ms now) noexcept;

  /// Takes one token. True when one was there; otherwise nothing changes.
  bool try_take(unix_ms now) noexcept;

  /// Milliseconds until the next token (0 when one is available now).
  unix_ms wait_ms(unix_ms now) const noexcept;

 private:
  double level_at(unix_ms now) const noexcept;

  double rate_per_ms_;
  double burst_;
  double level_;
  unix_ms updated_;
};

}  // namespace tandem::core
