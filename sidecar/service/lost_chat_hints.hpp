// Chats with a stored (acknowledged) message that will never be published live: the layer
// refused it for good, or the republisher gave it up beyond its capacity. Nothing else would
// bring it to a socket that stayed open (the client syncs only after a reconnect or a gap it can
// see), so each such chat's group is told once to sync: a `resync` hint with reason
// `publish_lost` (docs/protocol.md). From a loop of its own, so live publishes never wait for
// it; a chat whose hint the layer could not take goes to the back of the line, and the loop
// pauses for `pause` only once every chat in the line has failed in a row, so chats on a shard
// that answers are told while another shard is down.
//
// Threading: one executor (the worker's), like everything it serves.
#pragma once

#include <chrono>
#include <cstddef>
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
  /// Nothing waiting and no hint on its way (a drain waits for this).
  bool empty() const noexcept { return waiting_.empty() && !telling_; }

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
  std::size_t failures_in_a_row_ = 0;
  bool telling_ = false;  // a hint is on its way (its chat already out of the line)
  bool idle_ = false;     // waiting for work (add() wakes it), not pausing after failures
  bool stopped_ = false;
};

}  // namespace tandem::service
