// Messages a group_send could not put into a full process queue, kept per queue key in send
// order until the queue has room again (issue 14). A process queue serves thousands of
// sockets, so "full" means its reader is briefly behind a burst: the answer is to wait, not
// to drop what the sender was told is sent. Bounded per key, and by the layer's expiry (the
// receiver would discard an older message anyway). Plain data; the layer owns the retrying.
#pragma once

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
  struct waiting_for_key {
    std::size_t shard = 0;
    std::deque<waiting_message> messages;
  };

  explicit overflow_queue(std::size_t per_key_limit) : per_key_limit_{per_key_limit} {}

  /// True while `key` has messages waiting: later messages for it must queue behind them.
  bool holds(std::string const& key) const { return by_key_.contains(key); }
  /// Appends behind the key's waiting messages (its score raised above theirs if needed, so
  /// the queue's score order is the send order). False, and nothing kept, at the limit.
  bool push(std::string const& key, std::size_t shard, waiting_message held);
  /// Forgets messages sent before `oldest_kept` (seconds); returns how many.
  std::size_t drop_older_than(double oldest_kept);
  /// Removes the first `count` messages of `key` (they are in Redis now).
  void pop_front(std::string const& key, std::size_t count);
  /// Forgets everything (at stop); returns how many messages were waiting.
  std::size_t clear();

  std::map<std::string, waiting_for_key> const& queues() const noexcept { return by_key_; }
  std::size_t size() const noexcept { return total_; }
  bool empty() const noexcept { return total_ == 0; }
  std::size_t per_key_limit() const noexcept { return per_key_limit_; }

 private:
  std::size_t per_key_limit_;
  std::size_t total_ = 0;
  std::map<std::string, waiting_for_key> by_key_;  // no empty entries
};

}  // namespace tandem::layer
