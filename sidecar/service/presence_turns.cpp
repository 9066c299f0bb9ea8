// Taking, waiting for and leaving a place in a user's line of announcements.
#include "service/presence_turns.hpp"

#include <algorithm>
#include <exception>
#include <utility>

namespace tandem::service {

announce_turn::announce_turn(announce_turn&& other) noexcept
    : lines_{std::move(other.lines_)}, user_{other.user_}, timer_{std::move(other.timer_)}
{
  other.lines_ = nullptr;
}

announce_turn&
announce_turn::operator=(announce_turn&& other) noexcept
{
  if (this == &other) return *this;
  leave();
  lines_ = std::exchange(other.lines_, nullptr);
  user_ = other.user_;
  timer_ = std::move(other.timer_);
  return *this;
}

bool
announce_turn::in_front() const
{
  if (!lines_) return true;
  auto const it = lines_->find(user_);
  // Not in the line at all cannot happen while held; waiting for it would be forever.
  return it == lines_->end() || it->second.empty() || it->second.front() == timer_;
}

awaitable<void>
announce_turn::wait()
{
  // The turn in front cancels our timer when it leaves. A cancel that came before we wait is
  // not lost: we are in front by then, which the check sees.
  while (!in_front()) {
    error_code ec;
    co_await timer_->async_wait(as_value(ec));
  }
}

void
announce_turn::leave() noexcept
{
  if (!lines_) return;
  auto const lines = std::exchange(lines_, nullptr);
  auto const timer = std::exchange(timer_, nullptr);
  auto const it = lines->find(user_);
  if (it == lines->end()) return;
  auto& line = it->second;
  bool const first = !line.empty() && line.front() == timer;
  std::erase(line, timer);
  if (line.empty()) {
    lines->erase(it);
    return;
  }
  if (!first) return;
  try {
    line.front()->cancel();  // the next one was waiting for us
  } catch (std::exception const&) {
    // cancel() reports only a failure of the timer service: nothing waits on it then.
  }
}

announce_turn
announce_lines::take(std::int64_t user)
{
  auto timer = std::make_shared<asio::steady_timer>(executor_, asio::steady_timer::time_point::max());
  (*lines_)[user].push_back(timer);
  return announce_turn{lines_, user, std::move(timer)};
}

}  // namespace tandem::service
