// A clock the test moves: wall time starts at a fixed instant and only moves with advance();
// monotonic time follows the real clock (timers still run) plus whatever advance() added.
#pragma once

#include <chrono>

#include "service/ports/clock.hpp"

namespace tandem::fakes {

class manual_clock final : public service::clock {
 public:
  /// 2023-11-14T22:13:20Z: a round number far from the epoch.
  static constexpr core::unix_ms start = 1'700'000'000'000;

  core::unix_ms wall_ms() const noexcept override { return wall_; }
  std::chrono::steady_clock::time_point steady_now() const noexcept override
  {
    return std::chrono::steady_clock::now() + skew_;
  }
  void advance(std::chrono::milliseconds by)
  {
    wall_ += by.count();
    skew_ += by;
  }

 private:
  core::unix_ms wall_ = start;
  std::chrono::steady_clock::duration skew_{};
};

}  // namespace tandem::fakes
