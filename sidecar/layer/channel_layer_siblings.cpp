// The layers of one process (one per I/O thread) share its Redis queue (process_queues): the
// first reads it for all, and messages between them are posted from thread to thread instead
// of written to Redis and popped back.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <exception>

#include "layer/channel_layer.hpp"
#include "layer/names.hpp"

namespace tandem::layer {

void
channel_layer::share_process(std::shared_ptr<process_queues const> queues, std::size_t index)
{
  siblings_ = std::move(queues);
  thread_index_ = index;
  client_prefix_ = siblings_->client_prefix();
  channel_tag_ = std::to_string(index) + ".";
  name_own_queue();
}

std::size_t
channel_layer::owner_of(std::string_view channel) const noexcept
{
  if (!siblings_) return thread_index_;
  auto const local = channel.substr(non_local_name(channel).size());
  std::size_t index = 0;
  auto const [end, ec] = std::from_chars(local.data(), local.data() + local.size(), index);
  if (ec != std::errc{} || end == local.data() + local.size() || *end != '.') return siblings_->size();
  return index;
}

std::size_t
channel_layer::hand_out(std::vector<std::string> channels, message const& msg, double sent_at)
{
  auto const serial = ++message_serial_;
  auto const others = siblings_ ? siblings_->size() : 0;
  auto const delivered_here = [&](std::string const& channel) {
    auto const owner = owner_of(channel);
    return owner == thread_index_ || owner >= others;
  };
  // Most messages name channels of this thread only (a 1:1 message, a group's members here):
  // delivered from the list as it came, with no lists per thread to build.
  if (std::all_of(channels.begin(), channels.end(), delivered_here)) {
    deliver_here(channels, msg, serial);
    return 0;
  }
  // One post per thread naming its channels (a group spread over the threads), sorted by
  // thread into these lists; this thread's own (and an unknown thread's, which deliver_local
  // drops and counts) in `mine`.
  std::vector<std::vector<std::string>> by_thread(others);
  std::vector<std::string> mine;
  for (auto& channel : channels) {
    auto const owner = owner_of(channel);
    (owner == thread_index_ || owner >= others ? mine : by_thread[owner]).push_back(std::move(channel));
  }
  // The other threads first: they need not wait for this thread's deliveries.
  std::size_t refused = 0;
  for (std::size_t owner = 0; owner < by_thread.size(); ++owner) {
    if (by_thread[owner].empty()) continue;
    if (post_to_sibling(owner, std::move(by_thread[owner]), msg, sent_at) == sibling_post::refused) ++refused;
  }
  deliver_here(mine, msg, serial);
  return refused;
}

void
channel_layer::deliver_here(std::vector<std::string> const& channels, message const& msg, std::uint64_t serial)
{
  // A delivery that throws (bad_alloc in a socket's queue) costs that socket this message,
  // never the rest of the message or the receive loop the process's threads all depend on.
  for (auto const& channel : channels) {
    try {
      deliver_local(channel, msg, serial);
    } catch (std::exception const& e) {
      ++stats_.delivery_failures;
      spdlog::error("event=layer_delivery_failed error=\"{}\"", e.what());
      try {
        note_missed(channel);
      } catch (std::exception const&) {  // out of memory: the other sockets still get theirs
      }
    }
  }
}

channel_layer::sibling_post
channel_layer::post_to_sibling(std::size_t owner, std::vector<std::string> channels, message const& msg, double sent_at)
{
  auto* sibling = siblings_->at(owner);
  // What the Redis queue would hold at most (its capacity, then what the layer holds back for a
  // full queue): beyond that the message is refused, as it would be there.
  auto const limit = capacities_.capacity_for(channels.front()) + config_.pending_per_queue;
  if (sibling->in_flight.load(std::memory_order_relaxed) >= limit) {
    tell_missed_later(*sibling, std::move(channels));
    return sibling_post::refused;
  }
  sibling->in_flight.fetch_add(1, std::memory_order_relaxed);
  ++stats_.sibling_posts;
  // The list is captured so the entry outlives the post; the layer only weakly: a post still
  // queued when its thread's loop is torn down must not keep that layer alive.
  asio::post(sibling->executor, [queues = siblings_, sibling, channels = std::move(channels), msg, sent_at] {
    sibling->in_flight.fetch_sub(1, std::memory_order_relaxed);
    auto const layer = sibling->layer.lock();
    if (!layer) return;
    // A plain handler, not a supervised coroutine: a socket's delivery that throws is caught per
    // socket (deliver_here); anything else the hand-over throws costs this message, never the
    // thread's loop.
    try {
      layer->deliver_from_sibling(channels, msg, sent_at);
    } catch (std::exception const& e) {
      ++layer->stats_.sibling_failures;
      spdlog::error("event=layer_sibling_delivery_failed channels={} error=\"{}\"", channels.size(), e.what());
      try {
        for (auto const& channel : channels) layer->note_missed(channel);
      } catch (std::exception const&) {  // out of memory: nothing more this handler can do
      }
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
    for (auto const& channel : channels) note_missed(channel);
    return;
  }
  ++stats_.sibling_received;
  // Socket by socket, as a message read here: one socket whose queue throws loses only its own
  // copy, not the copies of this thread's other sockets after it.
  deliver_here(channels, msg, ++message_serial_);
}

void
channel_layer::tell_siblings_to_resync()
{
  if (!siblings_) return;
  for (std::size_t i = 0; i < siblings_->size(); ++i) {
    if (i == thread_index_) continue;
    auto* sibling = siblings_->at(i);
    asio::post(sibling->executor, [queues = siblings_, sibling] {
      auto const layer = sibling->layer.lock();
      if (!layer || layer->stopped_) return;
      layer->resync_due_ = true;
      layer->resync_if_back();
    });
  }
}

}  // namespace tandem::layer
