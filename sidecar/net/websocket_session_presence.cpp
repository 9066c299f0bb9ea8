// The socket's presence and typing: it counts towards its user being online, gets a snapshot
// of who is online and typing when it opens, forwards its user's typing notices, and shows
// others' typing as batched frames (at most one per chat per typing_frame_interval) and
// others' presence changes as batched frames (at most one per presence_frame_interval: a
// thousand members arriving at once cost each socket a few frames, not one per arrival).
#include <algorithm>
#include <exception>
#include <utility>

#include <spdlog/spdlog.h>

#include "asio/supervised_spawn.hpp"
#include "net/io_worker.hpp"
#include "net/websocket_session.hpp"
#include "protocol/presence_frames.hpp"
#include "protocol/typing_view.hpp"

namespace tandem::net {

namespace {

/// Parameters by value: a coroutine lambda's captures would die with the lambda.
awaitable<void>
stop_typing(io_worker& worker, std::int64_t user, std::string name, std::set<std::int64_t> chats)
{
  for (auto const chat : chats) co_await worker.typing.stop(user, name, chat);
}

}  // namespace

awaitable<void>
websocket_session::announce_and_snapshot()
{
  auto outcome = co_await worker_.presence.connected(identity_.user_id, identity_.chat_id, identity_.utc_offset_minutes);
  // Counted only once Redis said so: a failed script must not make this socket's close take
  // down another tab's count.
  presence_counted_ = outcome.counted;
  // A tandem.privacy (or a recheck's read) that came meanwhile is newer than the contacts query.
  if (!own_visibility_ && own_visibility_reads_ == 0) own_visibility_ = outcome.own_visibility;
  if (finishing()) {
    // Closed while it was being counted: finish() could not uncount it, so do it here.
    if (presence_counted_) worker_.presence.disconnected(identity_.user_id);
    presence_counted_ = false;
    co_return;
  }
  if (!transport_.open()) co_return;
  // Changes that arrived before the snapshot go before it, as they would unbatched.
  flush_presence();
  if (outcome.frame) enqueue(std::move(*outcome.frame));
  if (!identity_.chat_id) co_return;
  for (auto const& event : co_await worker_.typing.current(*identity_.chat_id))
    if (event.user != identity_.user_id && typing_view_.apply(event)) typing_changed(event.chat);
}

awaitable<void>
websocket_session::handle_typing(protocol::typing_request const& request)
{
  auto& typing = worker_.typing;
  if (request.start) {
    typing_in_.insert(request.chat);
    co_await typing.start(identity_.user_id, identity_.display_name, request.chat);
  } else {
    typing_in_.erase(request.chat);
    co_await typing.stop(identity_.user_id, identity_.display_name, request.chat);
  }
}

void
websocket_session::typing_event(layer::message const& event)
{
  auto const parsed = protocol::typing_event_from_json(event);
  // Never shown to the typist's own sockets (other tabs included).
  if (!parsed || parsed->user == identity_.user_id) return;
  if (typing_view_.apply(*parsed)) typing_changed(parsed->chat);
}

void
websocket_session::presence_event(layer::message const& event)
{
  // (A chat group's announcement this socket may not show was dropped by deliver() already.)
  auto const entry = protocol::presence_entry_from_event(event);
  if (!entry) return;
  presence_batch_.add(*entry);
  if (worker_.process.presence.frame_interval.count() <= 0) flush_presence();
  else pace_soon();  // pace_typing_and_presence decides when the frame may go
}

void
websocket_session::privacy_changed(core::visibility now)
{
  own_visibility_ = now;
  spawn_part("ws_privacy_read", read_own_visibility(shared_from_this()));
}

awaitable<void>
websocket_session::read_own_visibility([[maybe_unused]] std::shared_ptr<websocket_session> self)
{
  auto const mine = ++own_visibility_reads_;
  // A failed read keeps what the socket had (the next recheck reads again): it must not end
  // the socket, as a part that throws would.
  std::optional<core::visibility> stored;
  try {
    stored = co_await worker_.presence.own_visibility(identity_.user_id);
  } catch (std::exception const& e) {
    spdlog::warn("event=ws_privacy_read_failed conn={} error=\"{}\"", identity_.connection_id, e.what());
  }
  if (stored && mine == own_visibility_reads_) own_visibility_ = stored;
}

void
websocket_session::flush_presence()
{
  if (presence_batch_.empty()) return;
  auto const entries = presence_batch_.take(worker_.clock);
  // Wall time here: the frame words "last seen" for people; the pacing is the batch's (monotonic).
  enqueue(protocol::presence_frame(entries, worker_.clock.wall_ms(), identity_.utc_offset_minutes));
}

void
websocket_session::typing_changed(std::int64_t chat)
{
  typing_dirty_.insert(chat);
  pace_soon();  // pace_typing_and_presence decides when the frame may go
}

void
websocket_session::pace_soon()
{
  // Once per turn, after the event's other frames (as a woken loop would): a burst of changes
  // in one turn costs one pass.
  if (pacing_queued_) return;
  pacing_queued_ = true;
  asio::post(transport_.get_executor(), [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->pace_typing_and_presence();
  });
}

void
websocket_session::pace_typing_and_presence()
{
  // Runs on a change (pace_soon) and on its own timer while something waits; with nothing
  // waiting no wait is pending, so an idle socket holds no coroutine and no timer wait for it.
  pacing_queued_ = false;
  if (finishing() || closing()) return;
  auto const interval = worker_.process.typing.frame_interval.count();
  // Wall time for the typists' expiry (stamped by whichever process saw the start), monotonic
  // time for pacing frames: a wall clock set back or forward must not stall or burst them.
  // `wake` is kept in wall ms; the pacing's waits are added to `now` as durations.
  auto const now = worker_.clock.wall_ms();
  auto const steady = worker_.clock.steady_ms();
  for (auto const chat : typing_view_.expire(now)) typing_dirty_.insert(chat);
  std::optional<core::unix_ms> wake = typing_view_.next_expiry();
  // Presence: the first change after a quiet interval goes at once, later ones wait for the
  // interval's end and go together.
  if (!presence_batch_.empty()) {
    auto const left = presence_batch_.wait(worker_.clock, worker_.process.presence.frame_interval);
    if (left.count() == 0) flush_presence();
    else wake = wake ? std::min(*wake, now + left.count()) : now + left.count();
  }
  if (!typing_dirty_.empty()) {
    if (steady - typing_flushed_at_ >= interval) {
      for (auto const chat : typing_dirty_) enqueue(typing_view_.frame(chat));
      typing_dirty_.clear();
      typing_flushed_at_ = steady;
    } else {
      auto const due = now + (typing_flushed_at_ + interval - steady);
      wake = wake ? std::min(*wake, due) : due;
    }
  }
  if (!wake) {
    typing_timer_.cancel();
    return;
  }
  // Re-arming cancels the previous wait. A wait that already completed still runs its pass:
  // a pass is idempotent (it sends only what is due), so one extra does no harm.
  typing_timer_.expires_after(std::chrono::milliseconds{std::max<core::unix_ms>(*wake - now, 1)});
  typing_timer_.async_wait([weak = weak_from_this()](error_code ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->pace_typing_and_presence();
  });
}

void
websocket_session::leave_presence_and_typing()
{
  if (presence_counted_) worker_.presence.disconnected(identity_.user_id);
  presence_counted_ = false;
  if (typing_in_.empty()) return;
  // The session is going away: the stops run on their own, with copies of what they need.
  spawn(worker_.ioc, "ws_stop_typing", stop_typing(worker_, identity_.user_id, identity_.display_name, typing_in_));
  typing_in_.clear();
}

}  // namespace tandem::net
