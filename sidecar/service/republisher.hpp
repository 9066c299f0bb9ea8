// Stored messages whose publish failed (Redis unreachable, a timeout, -OOM): kept in order and
// published again once the layer answers, so recipients whose sockets stayed open still get
// every acknowledged message live (clients drop a repeat by its id). Bounded: beyond
// `capacity` the oldest is given up (logged and handed to `given_up`, so its chat can be told to
// sync).
//
// Threading: one executor (the worker's), like everything it serves.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>

#include "asio/asio.hpp"
#include "protocol/chat_frames.hpp"

namespace tandem::service {

class republisher {
 public:
  /// `publish` answers true when the layer took the message.
  using publish_fn = std::function<awaitable<bool>(protocol::message_record const&)>;
  /// Told of each message dropped from the backlog unpublished.
  using given_up_fn = std::function<void(protocol::message_record const&)>;

  republisher(asio::any_io_executor executor, publish_fn publish, std::size_t capacity = 10000,
              std::chrono::milliseconds pause = std::chrono::seconds{1}, given_up_fn given_up = {});

  void start();
  void stop();
  /// Queues a stored message for (re)publishing, after any already queued.
  void add(protocol::message_record message);
  bool empty() const noexcept { return backlog_.empty(); }
  std::size_t size() const noexcept { return backlog_.size(); }

 private:
  awaitable<void> loop();

  asio::any_io_executor executor_;
  publish_fn publish_;
  given_up_fn given_up_;
  std::size_t capacity_;
  std::chrono::milliseconds pause_;
  std::deque<protocol::message_record> backlog_;
  asio::steady_timer wakeup_;
  bool publishing_front_ = false;  // the loop's publish of backlog_.front() is in flight
  bool front_dropped_ = false;     // ... and add() dropped it meanwhile: given up if it fails
  bool stopped_ = false;
};

}  // namespace tandem::service
