// Waiters for a scarce resource (a pooled connection), served first come, first served. Each
// waiter parks on its own timer, so waking one never disturbs the others (a single shared
// timer re-armed by every waiter cancels everyone's wait: a busy loop). The resource is handed
// to the woken waiter directly, so a newcomer cannot take it in between.
//
// Threading: one executor, like everything it serves.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>

#include "asio/asio.hpp"

namespace tandem {

template <typename Resource>
class handoff_queue {
 public:
  explicit handoff_queue(asio::any_io_executor executor) : executor_{std::move(executor)} {}

  /// Parks until hand_over() gives this waiter a resource, or `deadline` passes (nullopt), or
  /// close() (nullopt).
  awaitable<std::optional<Resource>> wait(std::chrono::steady_clock::time_point deadline)
  {
    auto me = std::make_shared<waiter>(executor_);
    queue_.push_back(me);
    me->timer.expires_at(deadline);
    error_code ec;
    co_await me->timer.async_wait(as_value(ec));
    if (!me->given) std::erase(queue_, me);  // timed out (or closed): leave the line
    co_return std::move(me->given);
  }

  /// Gives `resource` to the longest-waiting waiter; false (resource not taken) when nobody waits.
  bool hand_over(Resource resource)
  {
    if (queue_.empty()) return false;
    auto first = std::move(queue_.front());
    queue_.pop_front();
    // Even if its deadline fired in this same turn, the waiter finds `given` set and keeps it.
    first->given = std::move(resource);
    first->timer.cancel();
    return true;
  }

  /// Wakes every waiter empty-handed.
  void close()
  {
    auto waiting = std::move(queue_);
    queue_.clear();
    for (auto& w : waiting) w->timer.cancel();
  }

  std::size_t waiting() const noexcept { return queue_.size(); }

 private:
  struct waiter {
    explicit waiter(asio::any_io_executor ex) : timer{std::move(ex)} {}
    asio::steady_timer timer;
    std::optional<Resource> given;
  };
  asio::any_io_executor executor_;
  std::deque<std::shared_ptr<waiter>> queue_;
};

}  // namespace tandem
