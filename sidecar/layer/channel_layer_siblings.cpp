// Messages between the layers of one process (one per I/O thread): posted from thread to
// thread instead of written to the other layer's Redis queue and popped back (process_queues).
#include <spdlog/spdlog.h>

#include "layer/channel_layer.hpp"

namespace tandem::layer {

bool
channel_layer::post_to_sibling(std::string const& key, std::vector<std::string> const& channels, message const& msg)
{
  if (!config_.local_fast_path || !siblings_) return false;
  auto* sibling = siblings_->find(key);
  if (!sibling) return false;
  // What the Redis queue would hold at most (its capacity, then what the layer holds back for a
  // full queue): beyond that the message is dropped and counted, as it would be there.
  auto const limit = config_.capacity + config_.pending_per_queue;
  if (sibling->in_flight.load(std::memory_order_relaxed) >= limit) {
    if (stats_.pending_dropped++ % 1000 == 0)
      spdlog::warn("event=layer_pending_dropped reason=limit key={} limit={} dropped_total={}", key, limit,
                   stats_.pending_dropped);
    return true;
  }
  sibling->in_flight.fetch_add(1, std::memory_order_relaxed);
  ++stats_.sibling_posts;
  // The map is captured so the entry outlives the post; the layer only weakly: a post still
  // queued when its thread's loop is torn down must not keep that layer alive.
  asio::post(sibling->executor, [queues = siblings_, sibling, channels, msg] {
    sibling->in_flight.fetch_sub(1, std::memory_order_relaxed);
    if (auto const layer = sibling->layer.lock()) layer->deliver_from_sibling(channels, msg);
  });
  return true;
}

void
channel_layer::deliver_from_sibling(std::vector<std::string> const& channels, message const& msg)
{
  if (stopped_) return;  // as the receive loops: a stopped layer hands nothing out
  ++stats_.sibling_received;
  auto const serial = ++message_serial_;
  for (auto const& channel : channels) deliver_local(channel, msg, serial);
}

}  // namespace tandem::layer
