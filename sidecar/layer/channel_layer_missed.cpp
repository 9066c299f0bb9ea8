// Telling a socket that it missed a message this process dropped for it. A group message meant
// for a socket of this process can be dropped on its way: its I/O thread was as far behind as
// its Redis queue could be (capacity + pending_per_queue posts), it waited longer than expiry
// (for that thread, or in the process's Redis queue), or handing it to the socket threw. The
// message is stored, and nothing else would ever bring it to that socket while it stays open,
// so the worker tells the socket to sync (on_missed_: `resync` with `delivery_dropped`). Once
// per socket however many it missed: a thread far behind drops thousands, and a hint per drop
// would bury the very thread that is behind.
#include <spdlog/spdlog.h>

#include <exception>
#include <unordered_set>
#include <utility>

#include "layer/channel_layer.hpp"

namespace tandem::layer {

void
channel_layer::report_missed(std::vector<std::string> channels)
{
  std::vector<std::vector<std::string>> by_thread(siblings_ ? siblings_->size() : 0);
  for (auto& channel : channels) {
    auto const owner = owner_of(channel);
    if (owner == thread_index_ || owner >= by_thread.size())
      note_missed(std::move(channel));  // a name of no thread: note_missed's flush finds it closed
    else
      by_thread[owner].push_back(std::move(channel));
  }
  for (std::size_t owner = 0; owner < by_thread.size(); ++owner)
    if (!by_thread[owner].empty()) tell_missed_later(*siblings_->at(owner), std::move(by_thread[owner]));
}

void
channel_layer::tell_missed_later(process_queues::sibling& sibling, std::vector<std::string> channels)
{
  {
    // Each name once, however long that thread lags: bounded by the names its posts carried.
    std::lock_guard lock{sibling.missed_mutex};
    for (auto& channel : channels) sibling.missed.insert(std::move(channel));
  }
  // Noted before the flag is read: a post already on its way takes these too.
  if (sibling.missed_post_due.exchange(true)) return;
  // Not counted in in_flight: one small post, never refused as the message was.
  asio::post(sibling.executor, [queues = siblings_, target = &sibling] {
    // Cleared before the set is taken: a name noted after this point gets a post of its own.
    target->missed_post_due = false;
    std::unordered_set<std::string> noted;
    {
      std::lock_guard lock{target->missed_mutex};
      noted.swap(target->missed);
    }
    auto const layer = target->layer.lock();
    if (!layer) return;
    try {
      for (auto const& channel : noted) layer->note_missed(channel);
    } catch (std::exception const& e) {  // out of memory: a handler must not take the loop down
      spdlog::error("event=layer_missed_note_failed error=\"{}\"", e.what());
    }
  });
}

void
channel_layer::note_missed(std::string channel)
{
  if (!on_missed_ || stopped_) return;
  missed_here_.insert(std::move(channel));
  if (std::exchange(missed_flush_posted_, true)) return;
  // Posted: after whatever this thread has queued now, so a burst of drops is one hint each.
  asio::post(executor_, [weak = weak_from_this()] {
    if (auto const layer = weak.lock()) layer->tell_noted_missed();
  });
}

void
channel_layer::tell_noted_missed()
{
  missed_flush_posted_ = false;
  auto const noted = std::exchange(missed_here_, {});
  if (!on_missed_ || stopped_) return;
  std::size_t told = 0;
  for (auto const& channel : noted) {
    if (!local_channels_.contains(channel)) continue;  // closed meanwhile: nobody to tell
    try {
      on_missed_(channel);
      ++told;
    } catch (std::exception const& e) {
      spdlog::error("event=layer_missed_tell_failed error=\"{}\"", e.what());
    }
  }
  stats_.missed_told += told;
  if (told > 0) spdlog::warn("event=layer_delivery_missed sockets={} action=resync", told);
}

}  // namespace tandem::layer
