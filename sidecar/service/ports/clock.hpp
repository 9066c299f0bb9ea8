// The one source of "now" for the use cases and the sockets: wall time for what is stored and
// shown (last seen, typing expiry), monotonic time for intervals, rates and latencies. Tests
// hand in a clock they move themselves.
#pragma once

#include <chrono>

#include "core/time.hpp"

namespace tandem::service {

class clock {
 public:
  virtual ~clock() = default;
  /// Wall time: milliseconds since the Unix epoch.
  virtual core::unix_ms wall_ms() const noexcept = 0;
  /// Monotonic time: never jumps back when the system clock is set.
  virtual std::chrono::steady_clock::time_point steady_now() const noexcept = 0;
  /// Monotonic milliseconds (since an arbitrary epoch), for the core's rules that count in ms.
  core::unix_ms steady_ms() const noexcept
  {
    return std::chrono::duration_cast<std::chrono::milliseconds>(steady_now().time_since_epoch()).count();
  }
};

/// The machine's clocks: what the composition root gives every use case and socket.
class system_clock final : public clock {
 public:
  core::unix_ms wall_ms() const noexcept override
  {
    using namespace std::chrono;
    return duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
  std::chrono::steady_clock::time_point steady_now() const noexcept override { return std::chrono::steady_clock::now(); }
};

}  // namespace tandem::service
