// The queues of one sidecar process: one channel_layer per I/O thread, each with its own
// "specific.<client_prefix>!" queue in Redis. A message one thread's layer has for another
// thread's channels is posted to that thread instead of being written to Redis and popped back
// there, which cost a write, a pop and two round trips per message and thread: traffic between
// users of one process never reaches Redis beyond the group's member lookup (issue 14, W6).
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>

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
  };

  /// Every layer of the process, before any thread runs: the map is read-only afterwards, so
  /// the threads read it without a lock.
  void add(std::string queue_key, std::weak_ptr<channel_layer> layer, asio::any_io_executor executor);
  /// The layer whose queue key this is, or null when it belongs to another process.
  sibling* find(std::string const& queue_key) const;

 private:
  std::unordered_map<std::string, std::unique_ptr<sibling>> by_key_;
};

}  // namespace tandem::layer
