// The retry loop: the oldest first, one at a time (order per chat is kept), a second's pause
// after a failure (`pause`) so an outage costs one attempt a second, not a spin.
#include "service/republisher.hpp"

#include <spdlog/spdlog.h>

#include <utility>

#include "asio/supervised_spawn.hpp"

namespace tandem::service {

republisher::republisher(asio::any_io_executor executor, publish_fn publish, std::size_t capacity,
                         std::chrono::milliseconds pause, given_up_fn given_up)
    : executor_{executor},
      publish_{std::move(publish)},
      given_up_{std::move(given_up)},
      capacity_{std::max<std::size_t>(capacity, 1)},
      pause_{pause},
      wakeup_{executor}
{
}

void
republisher::start()
{
  spawn(executor_, "republisher", loop(), [this] {
    if (!stopped_) start();
  });
}

void
republisher::stop()
{
  stopped_ = true;
  wakeup_.cancel();
}

void
republisher::add(protocol::message_record message)
{
  if (backlog_.size() >= capacity_) {
    auto const& oldest = backlog_.front();
    spdlog::error("event=republish_given_up chat={} seq={} backlog={}", oldest.chat, oldest.seq, backlog_.size());
    // A message whose publish is on its way may still get through: reported when it does not.
    if (publishing_front_)
      front_dropped_ = true;
    else if (given_up_)
      given_up_(oldest);
    backlog_.pop_front();
    publishing_front_ = false;
  }
  backlog_.push_back(std::move(message));
  wakeup_.cancel();
}

awaitable<void>
republisher::loop()
{
  while (!stopped_) {
    if (backlog_.empty()) {
      wakeup_.expires_at(std::chrono::steady_clock::time_point::max());
      error_code ec;
      co_await wakeup_.async_wait(as_value(ec));  // cancelled by add() and stop()
      continue;
    }
    auto const message = backlog_.front();
    publishing_front_ = true;
    front_dropped_ = false;
    bool taken = false;
    try {
      taken = co_await publish_(message);
    } catch (...) {
      // The supervisor starts the loop again; a front dropped meanwhile was not published.
      publishing_front_ = false;
      if (std::exchange(front_dropped_, false) && given_up_) given_up_(message);
      throw;
    }
    publishing_front_ = false;
    // Dropped by add() meanwhile (no longer in the backlog): lost only if this publish failed.
    if (std::exchange(front_dropped_, false) && !taken && given_up_) given_up_(message);
    if (taken) {
      if (!backlog_.empty() && backlog_.front().chat == message.chat && backlog_.front().seq == message.seq)
        backlog_.pop_front();
      if (backlog_.empty()) spdlog::info("event=republish_caught_up chat={} seq={}", message.chat, message.seq);
      continue;
    }
    wakeup_.expires_after(pause_);
    error_code ec;
    co_await wakeup_.async_wait(as_value(ec));
  }
}

}  // namespace tandem::service
