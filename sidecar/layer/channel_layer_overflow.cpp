// The layer's answer to a full process queue: the group_send message waits here, in order,
// and is written as soon as the queue has room (issue 14). channels_redis drops it instead,
// but a Tandem process queue serves thousands of sockets: a burst fills it for a moment, and
// dropping would lose chat messages the sender was told were sent.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "asio/supervised_spawn.hpp"
#include "layer/channel_layer.hpp"
#include "layer/lua_scripts.hpp"
#include "layer/score_text.hpp"

namespace tandem::layer {

namespace {

// Short first, as a reader pops a batch every few milliseconds under load; growing, so a
// reader that is gone costs Redis one script call per key every 100 ms at most.
constexpr std::chrono::milliseconds first_retry{5};
constexpr std::chrono::milliseconds slowest_retry{100};
// Messages written per script call: large enough to refill a drained queue in one round trip.
constexpr std::size_t write_batch = 256;

}  // namespace

void
channel_layer::hold_back(std::string const& key, std::size_t shard, waiting_message held)
{
  bool const first = !overflow_.holds(key);
  if (!overflow_.push(key, shard, std::move(held))) {
    // Rare and loud: the reader has been behind by pending_per_queue messages.
    if (stats_.pending_dropped++ % 1000 == 0)
      spdlog::warn("event=layer_pending_dropped reason=limit key={} limit={} dropped_total={}", key,
                   overflow_.per_key_limit(), stats_.pending_dropped);
    return;
  }
  if (first) spdlog::info("event=layer_queue_full key={} action=hold_back", key);
  if (overflow_retrying_ || stopped_) return;
  overflow_retrying_ = true;
  auto self = shared_from_this();
  // A failure is logged by spawn(); the flag is cleared either way so the next hold_back restarts it.
  spawn(executor_, "layer_retry_held_back", [self] { return self->retry_held_back(); },
        [weak = weak_from_this()] {
          if (auto layer = weak.lock()) layer->overflow_retrying_ = false;
        });
}

awaitable<void>
channel_layer::retry_held_back()
{
  auto backoff = first_retry;
  while (!stopped_ && !overflow_.empty()) {
    overflow_timer_.expires_after(backoff);
    error_code ec;
    co_await overflow_timer_.async_wait(as_value(ec));
    if (stopped_) break;
    // The receiver would discard these as expired: not worth a place in the queue.
    if (auto const expired = overflow_.drop_older_than(now_() - static_cast<double>(config_.expiry_s))) {
      stats_.pending_dropped += expired;
      spdlog::warn("event=layer_pending_dropped reason=expired count={} expiry_s={}", expired, config_.expiry_s);
    }
    bool const progressed = co_await write_held_back();
    backoff = progressed ? first_retry : std::min(backoff * 2, slowest_retry);
  }
  overflow_retrying_ = false;
}

awaitable<bool>
channel_layer::write_held_back()
{
  bool progressed = false;
  std::vector<std::string> keys;
  for (auto const& [key, waiting] : overflow_.queues()) keys.push_back(key);
  for (auto const& key : keys) {
    // Until the queue is full again; the map may change across each await, so look it up anew.
    for (;;) {
      auto const it = overflow_.queues().find(key);
      if (it == overflow_.queues().end() || stopped_) break;
      auto const& messages = it->second.messages;
      auto const count = std::min(messages.size(), write_batch);
      std::vector<std::string> args;
      args.reserve(2 * count + 3);
      for (std::size_t i = 0; i < count; ++i) args.push_back(messages[i].payload);
      for (std::size_t i = 0; i < count; ++i) args.push_back(format_score(messages[i].score));
      args.push_back(messages.front().capacity);
      args.push_back(std::to_string(config_.expiry_s));
      args.push_back(std::to_string(static_cast<std::int64_t>(now_()) - config_.expiry_s));
      std::vector<std::string> script_keys{key};
      auto const shard = it->second.shard;
      auto const reply = co_await run_script(shard, send_in_order_script_, std::move(script_keys), std::move(args));
      if (reply.ec || reply.replies.empty() || reply.replies[0].is_error()) break;  // Redis down: later
      auto const added = static_cast<std::size_t>(std::max<std::int64_t>(0, reply.replies[0].integer));
      // Only this loop removes messages, so the first `added` are the ones just written.
      overflow_.pop_front(key, added);
      if (added > 0) progressed = true;
      if (added < count) break;  // full again
    }
  }
  co_return progressed;
}

}  // namespace tandem::layer
