// The layer's answer to a full process queue: the group_send message waits here, in order,
// and is written as soon as the queue has room (issue 14). channels_redis drops it instead,
// but a Tandem process queue serves thousands of sockets: a burst fills it for a moment, and
// dropping would lose chat messages the sender was told were sent.
//
// Order: group_sends are pipelined, so a second message for a queue can be on its way while
// the first one's write comes back "full"; had the second been written directly (a reader made
// room in between), it would overtake the first. So while a write for a queue is in flight or
// messages wait for it, later messages for it queue here behind them (overflow_queue::busy),
// and one writer per queue writes them in order, one write in flight at a time.
//
// Proportion: each queue has its own writer, back-off and batch size. Every write comes back
// with the room left in the queue, and the next write carries no more than that (at most
// largest_batch). A queue found full is backed off (5 ms doubling to 100 ms while it stays
// full) and then probed without payloads, so a queue whose reader is gone costs one tiny script
// call per 100 ms, and one queue never delays or hurries another's retries.
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
// reader that is gone costs Redis one script call per queue every 100 ms at most.
constexpr std::chrono::milliseconds first_retry{5};
constexpr std::chrono::milliseconds slowest_retry{100};
// Payloads per write at most: enough to refill a drained queue in a round trip or two.
constexpr std::size_t largest_batch = 256;

std::chrono::milliseconds
longer(std::chrono::milliseconds backoff)
{
  return backoff.count() == 0 ? first_retry : std::min(backoff * 2, slowest_retry);
}

}  // namespace

bool
channel_layer::queue_behind(std::string const& key, waiting_message msg)
{
  if (overflow_.push_back(key, std::move(msg))) return true;
  // Rare and loud: the reader has been behind by pending_per_queue messages.
  if (stats_.pending_dropped++ % 1000 == 0)
    spdlog::warn("event=layer_pending_dropped reason=limit key={} limit={} dropped_total={}", key,
                 overflow_.per_key_limit(), stats_.pending_dropped);
  return false;
}

void
channel_layer::direct_write_done(std::string const& key, std::optional<waiting_message> found_full)
{
  auto* state = overflow_.find(key);
  if (!state) {
    // Holding back is off (layer_pending_per_queue = 0), or the layer stopped: channels_redis's
    // answer, the message is dropped and counted.
    if (found_full && stats_.pending_dropped++ % 1000 == 0)
      spdlog::warn("event=layer_pending_dropped reason=limit key={} limit={} dropped_total={}", key,
                   overflow_.per_key_limit(), stats_.pending_dropped);
    return;
  }
  if (found_full) {
    if (!state->full) spdlog::info("event=layer_queue_full key={} action=hold_back", key);
    overflow_.push_front(key, std::move(*found_full));
    state->full = true;
    state->backoff = first_retry;
  } else if (state->messages.empty()) {
    overflow_.close(key);  // nothing queued behind the write: the queue is free again
    return;
  } else {
    state->backoff = std::chrono::milliseconds{0};  // it had room: the next ones go at once
    state->batch = largest_batch;
  }
  start_writer(key);
}

void
channel_layer::start_writer(std::string const& key)
{
  if (stopped_) return;
  auto self = shared_from_this();
  // A failure is logged by spawn(); the queue's waiting messages are then given up (counted),
  // so the key cannot stay busy with nobody writing it.
  spawn(executor_, "layer_write_waiting", [self, key] { return self->write_waiting(key); },
        [weak = weak_from_this(), key] {
          auto layer = weak.lock();
          if (!layer) return;
          if (auto* state = layer->overflow_.find(key)) layer->stats_.pending_dropped += state->messages.size();
          layer->overflow_.close(key);
        });
}

awaitable<void>
channel_layer::write_waiting(std::string key)
{
  auto self = shared_from_this();
  asio::steady_timer pause{executor_};
  // stop() cancels the pause, so a stopped layer does not keep the io_context running.
  writer_pauses_.insert(&pause);
  struct forget_pause {
    channel_layer* layer;
    asio::steady_timer* pause;
    ~forget_pause() { layer->writer_pauses_.erase(pause); }
  } const forget{this, &pause};

  while (!stopped_) {
    auto* state = overflow_.find(key);
    if (!state) break;
    if (state->backoff.count() > 0) {
      pause.expires_after(state->backoff);
      error_code ec;
      co_await pause.async_wait(as_value(ec));
      if (stopped_) break;
      state = overflow_.find(key);
      if (!state) break;
    }
    // The receiver would discard these as expired: not worth a place in the queue.
    if (auto const expired = overflow_.drop_older_than(key, now_() - static_cast<double>(config_.expiry_s))) {
      stats_.pending_dropped += expired;
      spdlog::warn("event=layer_pending_dropped reason=expired key={} count={} expiry_s={}", key, expired,
                   config_.expiry_s);
    }
    if (state->messages.empty()) {
      overflow_.close(key);
      break;
    }
    auto const& messages = state->messages;
    // A full queue is asked for its room first: no payloads sent to be refused.
    auto const count = state->full ? std::size_t{0} : std::min({messages.size(), state->batch, largest_batch});
    std::vector<std::string> args;
    args.reserve(2 * count + 3);
    for (std::size_t i = 0; i < count; ++i) args.push_back(messages[i].payload);
    for (std::size_t i = 0; i < count; ++i) args.push_back(format_score(messages[i].score));
    args.push_back(messages.front().capacity);
    args.push_back(std::to_string(config_.expiry_s));
    args.push_back(std::to_string(static_cast<std::int64_t>(now_()) - config_.expiry_s));
    std::vector<std::string> script_keys{key};
    auto const shard = state->shard;
    auto const reply = co_await run_script(shard, send_in_order_script_, std::move(script_keys), std::move(args));
    state = overflow_.find(key);  // stop() may have forgotten it meanwhile
    if (!state) break;
    if (reply.ec || reply.replies.empty() || reply.replies[0].elements.size() != 2) {  // Redis down: later
      state->backoff = longer(state->backoff);
      continue;
    }
    auto const& answer = reply.replies[0].elements;
    auto const added = static_cast<std::size_t>(std::max<std::int64_t>(0, answer[0].integer));
    auto const room = static_cast<std::size_t>(std::max<std::int64_t>(0, answer[1].integer));
    // Only this writer removes messages, and it has one write in flight: the first `added`
    // are the ones just written.
    overflow_.pop_front(key, added);
    if (room > 0) {  // the reader made room: the next write goes at once, as large as the room
      state->full = false;
      state->backoff = std::chrono::milliseconds{0};
      state->batch = room;
    } else {
      // Full: the next write is a probe, soon if this one made progress (the reader is
      // popping), later and later while it makes none (the reader is slow or gone).
      state->full = true;
      state->backoff = added > 0 ? first_retry : longer(state->backoff);
    }
  }
}

}  // namespace tandem::layer
