// What a fake should do on its next calls: answer normally, or fail in one of the ways the real
// service can (down, refusing, timing out), after an optional delay. Shared by every fake.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>

#include "asio/asio.hpp"

namespace tandem::fakes {

enum class fault : std::uint8_t {
  none,
  unavailable,  // the service is down or did not answer (retryable)
  refused,      // an error reply: it did not happen and will not (bad input, -OOM)
  timeout,      // no answer in time: it may or may not have happened
  failed,       // a bug-class failure (the store's "failed")
  forbidden,    // the store's "not a member"
};

class fault_plan {
 public:
  /// The next `times` calls fail with `f` (after any already planned).
  void fail_next(fault f, std::size_t times = 1) { planned_.insert(planned_.end(), times, f); }
  /// Every call fails with `f` until heal().
  void fail_always(fault f) { always_ = f; }
  void heal()
  {
    always_ = fault::none;
    planned_.clear();
  }
  /// The fault of the call being made now (counts the call).
  fault take()
  {
    ++calls_;
    if (!planned_.empty()) {
      auto const f = planned_.front();
      planned_.pop_front();
      return f;
    }
    return always_;
  }
  std::size_t calls() const noexcept { return calls_; }

  /// Every call waits this long first (on the caller's executor), like a slow server.
  std::chrono::milliseconds delay{0};

 private:
  std::deque<fault> planned_;
  fault always_ = fault::none;
  std::size_t calls_ = 0;
};

/// Waits `delay` on the current coroutine's executor; nothing when zero.
inline awaitable<void>
wait_for(std::chrono::milliseconds delay)
{
  if (delay.count() <= 0) co_return;
  asio::steady_timer timer{co_await asio::this_coro::executor};
  timer.expires_after(delay);
  error_code ec;
  co_await timer.async_wait(as_value(ec));
}

}  // namespace tandem::fakes
