// The order of each user's presence announcements. A change takes a turn in its user's line
// when it is decided (before any round trip), waits until every turn taken before it has left,
// announces, and leaves. A turn leaves the line in its destructor: a throw or a torn-down
// coroutine between taking a turn and using it (a failed contacts lookup, a cancelled
// announcement) must not hold the user's later announcements back for good.
//
// Threading: one executor, like the presence use case that owns the lines.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <unordered_map>

#include "asio/asio.hpp"

namespace tandem::service {

/// Per user, the turns waiting or under way, oldest (the one announcing) first. Each turn is a
/// timer that never expires by itself: the turn in front cancels it when it leaves.
using announce_line_map = std::unordered_map<std::int64_t, std::deque<std::shared_ptr<asio::steady_timer>>>;

class announce_turn {
 public:
  announce_turn() = default;
  announce_turn(std::shared_ptr<announce_line_map> lines, std::int64_t user, std::shared_ptr<asio::steady_timer> timer)
      : lines_{std::move(lines)}, user_{user}, timer_{std::move(timer)}
  {
  }
  announce_turn(announce_turn&& other) noexcept;
  announce_turn& operator=(announce_turn&& other) noexcept;
  announce_turn(announce_turn const&) = delete;
  announce_turn& operator=(announce_turn const&) = delete;
  ~announce_turn() { leave(); }

  /// Completes once every turn of this user taken before this one has left.
  awaitable<void> wait();
  /// Leaves the line now (nothing to say after all, or said), waking the next turn if this one
  /// was in front. Does nothing the second time, or for a moved-from turn.
  void leave() noexcept;
  /// Still in its user's line.
  bool held() const noexcept { return lines_ != nullptr; }

 private:
  bool in_front() const;

  std::shared_ptr<announce_line_map> lines_;  // shared: a turn may outlive the presence that made it
  std::int64_t user_ = 0;
  std::shared_ptr<asio::steady_timer> timer_;
};

class announce_lines {
 public:
  explicit announce_lines(asio::any_io_executor executor)
      : executor_{std::move(executor)}, lines_{std::make_shared<announce_line_map>()}
  {
  }
  /// A place at the end of `user`'s line.
  announce_turn take(std::int64_t user);
  /// Users with announcements waiting or under way.
  std::size_t users() const noexcept { return lines_->size(); }

 private:
  asio::any_io_executor executor_;
  std::shared_ptr<announce_line_map> lines_;
};

}  // namespace tandem::service
