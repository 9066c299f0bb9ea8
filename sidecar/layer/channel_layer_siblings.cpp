// Messages between the layers of one process (one per I/O thread): posted from thread to
// thread instead of written to the other layer's Redis queue and popped back (process_queues).
#include <spdlog/spdlog.h>

#include <exception>

#include "layer/channel_layer.hpp"

namespace tandem::layer {

channel_layer::sibling_post
channel_layer::post_to_sibling(std::string const& key, std::vector<std::string> const& channels, message const& msg)
{
  if (!config_.local_fast_path || !siblings_ || channels.empty()) return sibling_post::not_a_sibling;
  auto* sibling = siblings_->find(key);
  if (!sibling) return sibling_post::not_a_sibling;
  // What the Redis queue would hold at most (its capacity, then what the layer holds back for a
  // full queue): beyond that the message is refused, as it would be there.
  auto const limit = capacities_.capacity_for(channels.front()) + config_.pending_per_queue;
  if (sibling->in_flight.load(std::memory_order_relaxed) >= limit) return sibling_post::refused;
  sibling->in_flight.fetch_add(1, std::memory_order_relaxed);
  ++stats_.sibling_posts;
  // The map is captured so the entry outlives the post; the layer only weakly: a post still
  // queued when its thread's loop is torn down must not keep that layer alive.
  asio::post(sibling->executor, [queues = siblings_, sibling, channels, msg, sent_at = now_()] {
    sibling->in_flight.fetch_sub(1, std::memory_order_relaxed);
    auto const layer = sibling->layer.lock();
    if (!layer) return;
    // A plain handler, not a supervised coroutine: what the delivery throws (bad_alloc in a
    // socket's queue) costs this message, never the thread's loop.
    try {
      layer->deliver_from_sibling(channels, msg, sent_at);
    } catch (std::exception const& e) {
      ++layer->stats_.sibling_failures;
      spdlog::error("event=layer_sibling_delivery_failed channels={} error=\"{}\"", channels.size(), e.what());
    }
  });
  return sibling_post::posted;
}

void
channel_layer::deliver_from_sibling(std::vector<std::string> const& channels, message const& msg, double sent_at)
{
  if (stopped_) {  // as the receive loops: a stopped layer hands nothing out
    stats_.dropped_unknown_channel += channels.size();
    return;
  }
  if (sent_at < now_() - static_cast<double>(config_.expiry_s)) {
    ++stats_.dropped_expired;  // this thread was stalled longer than a queued message may wait
    return;
  }
  ++stats_.sibling_received;
  auto const serial = ++message_serial_;
  for (auto const& channel : channels) deliver_local(channel, msg, serial);
}

}  // namespace tandem::layer
