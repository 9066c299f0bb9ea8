// Chats with a stored (acknowledged) message that will never be published live: the layer
// refused it for good, or the republisher gave it up beyond its capacity. Nothing else would
// bring it to a socket that stayed open (the client syncs only after a reconnect or a gap it can
// see), so each such chat's group is told once to sync: a `resync` hint with reason
// `publish_lost` (docs/protocol.md). From a loop of its own, so live publishes never wait for
// it; a chat whose hint the layer could not take goes to the back of the line and is tried again
// after `pause`, so one unreachable shard does not hold up the others.
//
// Threading: one executor (the worker's), like everything it serves.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <set>

#include "asio/asio.hpp"

namespace tandem::service {

class lost_chat_hints {
 public:
  /// Sends the hint to one chat's group; true when the layer answered (took it, or refused it
  /// for good: retrying would not help), false when it did not (try again later).
  using tell_fn = std::function<awaitable<bool>(std::int64_t chat)>;

  lost_chat_hints(asio::any_io_executor executor, tell_fn tell, std::chrono::milliseconds pause);

  void start();
  void stop();
  /// A message of `chat` was lost: its group is told (once for all the losses it has when its
  /// turn comes; a loss after that is told again).
  void add(std::int64_t chat);
  bool empty() const noexcept { return waiting_.empty(); }

 private:
  awaitable<void> loop();
  /// Queues `chat` at the back unless it is already waiting.
  void enqueue(std::int64_t chat);

  asio::any_io_executor executor_;
  tell_fn tell_;
  std::chrono::milliseconds pause_;
  std::deque<std::int64_t> order_;  // chats in the order they are told
  std::set<std::int64_t> waiting_;  // the same chats, to tell each once
  asio::steady_timer wakeup_;
  bool idle_ = false;  // waiting for work (add() wakes it), not pausing after a failure
  bool stopped_ = false;
};

}  // namespace tandem::service
