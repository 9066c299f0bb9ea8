// The loop: the oldest chat first; a chat leaves the line before its hint is sent, so a loss
// that comes while the hint is on its way is told again, not erased with it.
#include "service/lost_chat_hints.hpp"

#include "asio/supervised_spawn.hpp"

namespace tandem::service {

lost_chat_hints::lost_chat_hints(asio::any_io_executor executor, tell_fn tell, std::chrono::milliseconds pause)
    : executor_{executor}, tell_{std::move(tell)}, pause_{pause}, wakeup_{executor}
{
}

void
lost_chat_hints::start()
{
  spawn(executor_, "lost_chat_hints", loop(), [this] {
    if (!stopped_) start();
  });
}

void
lost_chat_hints::stop()
{
  stopped_ = true;
  wakeup_.cancel();
}

void
lost_chat_hints::add(std::int64_t chat)
{
  enqueue(chat);
  // A pause after a failure runs out by itself: a loss during an outage must not make the loop
  // try again at once (every given-up message would cost a failing call).
  if (idle_) wakeup_.cancel();
}

void
lost_chat_hints::enqueue(std::int64_t chat)
{
  if (waiting_.insert(chat).second) order_.push_back(chat);
}

awaitable<void>
lost_chat_hints::loop()
{
  while (!stopped_) {
    if (order_.empty()) {
      idle_ = true;
      wakeup_.expires_at(std::chrono::steady_clock::time_point::max());
      error_code ec;
      co_await wakeup_.async_wait(as_value(ec));  // cancelled by add() and stop()
      idle_ = false;
      continue;
    }
    auto const chat = order_.front();
    order_.pop_front();
    waiting_.erase(chat);
    telling_ = true;
    bool told = false;
    try {
      told = co_await tell_(chat);
    } catch (...) {
      // The supervisor starts the loop again; the chat keeps a place in the line.
      telling_ = false;
      enqueue(chat);
      throw;
    }
    telling_ = false;
    if (told) {
      failures_in_a_row_ = 0;
      continue;
    }
    if (stopped_) continue;
    enqueue(chat);  // behind the others: they may live on shards that answer
    // A pause only once every chat in the line has failed since a hint last got through.
    if (++failures_in_a_row_ < order_.size()) continue;
    failures_in_a_row_ = 0;
    wakeup_.expires_after(pause_);
    error_code ec;
    co_await wakeup_.async_wait(as_value(ec));
  }
}

}  // namespace tandem::service
