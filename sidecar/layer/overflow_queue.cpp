#include "layer/overflow_queue.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

namespace tandem::layer {

bool
overflow_queue::push(std::string const& key, std::size_t shard, waiting_message held)
{
  auto [it, added] = by_key_.try_emplace(key);
  auto& waiting = it->second;
  if (added) waiting.shard = shard;
  if (waiting.messages.size() >= per_key_limit_) {
    if (waiting.messages.empty()) by_key_.erase(it);  // a limit of 0 keeps nothing
    return false;
  }
  // Two sends in the same clock tick would tie, and Redis orders ties by payload bytes.
  if (!waiting.messages.empty() && held.score <= waiting.messages.back().score)
    held.score = std::nextafter(waiting.messages.back().score, std::numeric_limits<double>::infinity());
  waiting.messages.push_back(std::move(held));
  ++total_;
  return true;
}

std::size_t
overflow_queue::drop_older_than(double oldest_kept)
{
  std::size_t dropped = 0;
  for (auto it = by_key_.begin(); it != by_key_.end();) {
    auto& messages = it->second.messages;
    while (!messages.empty() && messages.front().score < oldest_kept) {  // scores rise along a key
      messages.pop_front();
      ++dropped;
    }
    it = messages.empty() ? by_key_.erase(it) : std::next(it);
  }
  total_ -= dropped;
  return dropped;
}

void
overflow_queue::pop_front(std::string const& key, std::size_t count)
{
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return;
  auto& messages = it->second.messages;
  count = std::min(count, messages.size());
  messages.erase(messages.begin(), messages.begin() + static_cast<std::ptrdiff_t>(count));
  total_ -= count;
  if (messages.empty()) by_key_.erase(it);
}

std::size_t
overflow_queue::clear()
{
  auto const abandoned = total_;
  by_key_.clear();
  total_ = 0;
  return abandoned;
}

}  // namespace tandem::layer
