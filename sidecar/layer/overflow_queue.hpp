// group_send messages for one process queue that are not in Redis yet, kept per queue key in
// send order (issue 14). Two reasons to wait: the queue was full (its reader is briefly behind a
// burst: the answer is to wait, not to drop what the sender was told is sent), or an earlier
// message's write to it is still in flight (it may come back "full", and a later message must
// not overtake it). A key is "busy" from the moment a write for it goes out until nothing
// waits for it and no write for it is in flight; while busy, every new message for it queues
// here, behind the others. Bounded per key, and by the layer's expiry (the receiver would
// discard an older message anyway). Plain data; the layer owns the writing.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <string>

namespace tandem::layer {

struct waiting_message {
  std::string payload;   // serialized, as it would have been written
  std::string capacity;  // the queue's capacity, as the script takes it
  double score = 0;      // the send time: keeps the order and lets the receiver judge expiry
};

class overflow_queue {
 public:
  struct queue_state {
    std::size_t shard = 0;
    std::deque<waiting_message> messages;  // in send order
    bool full = false;                     // the last write found the queue without room
    std::chrono::milliseconds backoff{0};  // the queue's own wait before its next write
    std::size_t batch = 1;                 // payloads its next write carries at most (its room)
  };

  explicit overflow_queue(std::size_t per_key_limit) : per_key_limit_{per_key_limit} {}

  /// True while a write for `key` is in flight or messages wait for it.
  bool busy(std::string const& key) const { return by_key_.contains(key); }
  /// Marks `key` busy: a write for it is going out now.
  void open(std::string const& key, std::size_t shard) { by_key_.try_emplace(key).first->second.shard = shard; }
  queue_state* find(std::string const& key);
  /// Appends behind the key's waiting messages (its score raised above theirs if needed, so
  /// the queue's score order is the send order). False, and nothing kept, at the limit.
  bool push_back(std::string const& key, waiting_message held);
  /// Puts back, in front, the message of the write that found the queue full: the messages
  /// queued behind it meanwhile are later ones. It keeps its score; theirs are raised above it
  /// where needed. (Over the limit by this one at most.)
  void push_front(std::string const& key, waiting_message held);
  /// Forgets the key's messages sent before `oldest_kept` (seconds); returns how many.
  std::size_t drop_older_than(std::string const& key, double oldest_kept);
  /// Removes the first `count` messages of `key` (they are in Redis now).
  void pop_front(std::string const& key, std::size_t count);
  /// `key` is no longer busy: nothing waits for it and no write for it is in flight.
  void close(std::string const& key);
  /// Forgets everything (at stop); returns how many messages were waiting.
  std::size_t clear();

  std::size_t size() const noexcept { return total_; }
  bool empty() const noexcept { return total_ == 0; }
  std::size_t per_key_limit() const noexcept { return per_key_limit_; }

 private:
  std::size_t per_key_limit_;
  std::size_t total_ = 0;
  std::map<std::string, queue_state> by_key_;
};

}  // namespace tandem::layer
