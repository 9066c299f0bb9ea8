#include "layer/overflow_queue.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

namespace tandem::layer {

overflow_queue::queue_state*
overflow_queue::find(std::string const& key)
{
  auto const it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : &it->second;
}

bool
overflow_queue::push_back(std::string const& key, waiting_message held)
{
  auto const it = by_key_.find(key);
  if (it == by_key_.end() || it->second.messages.size() >= per_key_limit_) return false;
  auto& messages = it->second.messages;
  // Two sends in the same clock tick would tie, and Redis orders ties by payload bytes.
  if (!messages.empty() && held.score <= messages.back().score)
    held.score = std::nextafter(messages.back().score, std::numeric_limits<double>::infinity());
  messages.push_back(std::move(held));
  ++total_;
  return true;
}

void
overflow_queue::push_front(std::string const& key, waiting_message held)
{
  auto const it = by_key_.find(key);
  if (it == by_key_.end()) return;
  auto& messages = it->second.messages;
  // It keeps its own score: lowered below the next one's, it could also go below a message of
  // the same group already in Redis (written directly while this one's write was in flight)
  // and be popped before it. The later ones behind it move up instead, so scores keep rising:
  // a group_send that started earlier but queued later has no order to keep with it.
  messages.push_front(std::move(held));
  ++total_;
  for (auto next = std::next(messages.begin()); next != messages.end(); ++next) {
    auto const floor = std::prev(next)->score;
    if (next->score > floor) break;  // the rest already rise
    next->score = std::nextafter(floor, std::numeric_limits<double>::infinity());
  }
}

std::size_t
overflow_queue::drop_older_than(std::string const& key, double oldest_kept)
{
  auto* state = find(key);
  if (!state) return 0;
  std::size_t dropped = 0;
  auto& messages = state->messages;
  while (!messages.empty() && messages.front().score < oldest_kept) {  // scores rise along a key
    messages.pop_front();
    ++dropped;
  }
  total_ -= dropped;
  return dropped;
}

void
overflow_queue::pop_front(std::string const& key, std::size_t count)
{
  auto* state = find(key);
  if (!state) return;
  auto& messages = state->messages;
  count = std::min(count, messages.size());
  messages.erase(messages.begin(), messages.begin() + static_cast<std::ptrdiff_t>(count));
  total_ -= count;
}

void
overflow_queue::close(std::string const& key)
{
  auto const it = by_key_.find(key);
  if (it == by_key_.end()) return;
  total_ -= it->second.messages.size();
  by_key_.erase(it);
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
