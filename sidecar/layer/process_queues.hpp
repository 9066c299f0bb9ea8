// The queue of one sidecar process. Each I/O thread has its own channel_layer, but they share
// one "specific.<client_prefix>!" queue in Redis, so a group message from another process (or
// from Django) is one Redis delivery per process, not one per thread (issue 14, W6). One layer,
// the reader (the first), pops that queue and posts each message to the threads owning the
// channels it names: a single reader keeps every channel's messages in the order they were
// queued, which two readers popping one queue could not. A message one thread has for another
// thread's channels is posted to that thread directly, never written to Redis and popped back.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "asio/asio.hpp"

namespace tandem::layer {

class channel_layer;

class process_queues {
 public:
  struct sibling {
    std::weak_ptr<channel_layer> layer;  // weak: a post outliving its thread must not keep it
    asio::any_io_executor executor;
    /// Messages posted to this layer and not handed out yet: bounded like the Redis queue the
    /// post replaces, so a stalled thread cannot make the others queue without limit.
    std::atomic<std::size_t> in_flight{0};
    /// Channels of this layer that a refused post would have reached: told to sync by the one
    /// post `missed_post_due` says is on its way (channel_layer::tell_missed_later).
    std::mutex missed_mutex;
    std::unordered_set<std::string> missed;
    std::atomic<bool> missed_post_due{false};
  };

  /// The client prefix every layer of the process names its channels and its queue with.
  explicit process_queues(std::string client_prefix) : client_prefix_{std::move(client_prefix)} {}

  /// Every layer of the process, in thread order, before any thread runs: the list is read-only
  /// afterwards, so the threads read it without a lock. A layer's channels carry its position.
  void add(std::weak_ptr<channel_layer> layer, asio::any_io_executor executor);
  /// The layer at `index`, or null when there is none.
  sibling* at(std::size_t index) const;
  std::size_t size() const noexcept { return layers_.size(); }
  std::string const& client_prefix() const noexcept { return client_prefix_; }

  /// What the reader (the layer at index 0) publishes for the others, which cannot receive
  /// without it: whether the shard holding the queue is connected both ways, and whether every
  /// receive loop runs.
  struct reader_state {
    std::atomic<bool> can_receive{false};
    std::atomic<bool> ready{false};
  };
  reader_state& reader() const noexcept { return *reader_; }

 private:
  std::string client_prefix_;
  std::vector<std::unique_ptr<sibling>> layers_;
  std::unique_ptr<reader_state> reader_ = std::make_unique<reader_state>();
};

}  // namespace tandem::layer
