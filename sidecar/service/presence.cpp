// Presence steps. The presence store decides (Redis scripts), the records keep the status row
// (PostgreSQL), the bus tells (user groups). A store failure leaves presence as it was rather
// than announcing a guess.
#include "service/presence.hpp"

#include <algorithm>
#include <cstddef>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "asio/bounded_for_each.hpp"
#include "asio/supervised_spawn.hpp"
#include "core/presence_audience.hpp"
#include "core/privacy.hpp"
#include "protocol/presence_frames.hpp"

namespace tandem::service {

namespace {

/// `items` cut into consecutive batches of at most `size` (at least 1).
template <typename Item>
std::vector<std::vector<Item>>
in_batches(std::vector<Item> items, std::size_t size)
{
  size = std::max<std::size_t>(size, 1);
  std::vector<std::vector<Item>> batches;
  batches.reserve((items.size() + size - 1) / size);
  for (std::size_t from = 0; from < items.size(); from += size) {
    auto& some = batches.emplace_back();
    for (std::size_t i = from; i < std::min(from + size, items.size()); ++i) some.push_back(std::move(items[i]));
  }
  return batches;
}

}  // namespace

presence::presence(asio::any_io_executor executor, presence_store& counts, presence_records& records, message_bus& bus,
                   clock const& clock, presence_settings const& settings, messaging_settings const& groups,
                   ops::thread_metrics& metrics)
    : executor_{executor},
      counts_{counts},
      records_{records},
      bus_{bus},
      clock_{clock},
      settings_{settings},
      groups_{groups},
      metrics_{metrics},
      heartbeat_timer_{executor},
      turns_{executor}
{
}

void
presence::start()
{
  spawn(executor_, "presence_heartbeat", heartbeat_loop(), [this] {
    if (!stopped_) start();  // the lease must keep being renewed
  });
}

void
presence::stop()
{
  stopped_ = true;
  heartbeat_timer_.cancel();
}

awaitable<void>
presence::heartbeat_loop()
{
  while (!stopped_) {
    auto const now = clock_.wall_ms();
    auto const renewed = co_await counts_.renew_lease(now, settings_.lease_ttl);
    // Released meanwhile (a drain): the lease is gone on purpose, nothing to restore.
    if (stopped_) co_return;
    if (!renewed.ok) {
      spdlog::warn("event=presence_heartbeat_failed error=\"{}\"", renewed.error);
    } else {
      note_sweeps(renewed.leases_swept_total);
      // Our own lease ran out in the store although we kept renewing it: the store's lease
      // times are stale (a failover to a replica that missed the last renewals), so everyone
      // else's may be too. Seen here even when the reconnect's own signal comes later (it
      // waits for the groups to be back, while this heartbeat may be the first command).
      if (renewed.lease_had_expired) hold_sweeps("own_lease_expired");
      if (((renewed.lease_was_lost || renewed.lease_had_expired) && !local_counts_.empty()) || restore_needed_) {
        // The lease was gone (Redis restarted empty, or a sweep took it while we were cut off),
        // or a count change may have been lost in a timeout.
        spdlog::warn("event=presence_restore_due users={} lease_lost={}", local_counts_.size(),
                     renewed.lease_was_lost);
        co_await restore_counts();
      }
    }
    co_await rewrite_failed_rows();
    retry_failed_soon();
    // Any worker may find a dead lease; the store hands each to exactly one of them.
    sweep_reply swept;
    if (clock_.steady_now() >= sweeps_held_until_)
      swept = co_await counts_.sweep(now, settings_.sweep_batch, settings_.lease_ttl);
    if (swept.ok) {
      // A dead worker may have acknowledged sends (committed) that it never published: the
      // sockets still open elsewhere fetch them with a sync. Told first, before the slower
      // offline announcements, so the gap closes as soon as the death is known.
      if (swept.leases_swept > 0) {
        spdlog::warn("event=presence_leases_swept leases={} action=resync", swept.leases_swept);
        sweeps_seen_ = swept.leases_swept_total;
        if (lease_swept_) lease_swept_();
      } else {
        note_sweeps(swept.leases_swept_total);
      }
      // (Pairs, not structured bindings: GCC 12 mishandles those across a co_await.)
      for (auto const& gone : swept.offline) {
        spdlog::info("event=presence_lease_expired user={}", gone.first);
        co_await went_offline(gone.first, gone.second);
      }
      // Users of the dead lease still connected elsewhere: their rows count fewer sockets now.
      for (auto const& still : swept.still_online) co_await write_live(still.first, still.second);
    }
    // After a failed renewal, try again sooner: the lease must not run out while Redis is back.
    heartbeat_timer_.expires_after(renewed.ok ? settings_.heartbeat / 2 : settings_.heartbeat / 8);
    error_code ec;
    co_await heartbeat_timer_.async_wait(as_value(ec));
  }
}

void
presence::note_sweeps(std::int64_t total)
{
  // Lower than seen: the store lost the counter (Redis restarted empty, or a failover to a
  // replica behind): the layer's own reconnect hint covers that, so only remember it.
  bool const moved_on = sweeps_seen_ && total > *sweeps_seen_;
  sweeps_seen_ = total;
  if (!moved_on) return;
  spdlog::info("event=presence_lease_swept_elsewhere action=resync");
  if (lease_swept_) lease_swept_();
}

void
presence::hold_sweeps(std::string_view why)
{
  sweeps_held_until_ = clock_.steady_now() + settings_.lease_ttl;
  spdlog::info("event=presence_sweeps_held reason={} for_ms={}", why, settings_.lease_ttl.count());
}

void
presence::store_reconnected()
{
  if (stopped_) return;
  hold_sweeps("store_reconnected");
  restore();  // renews the lease now, not at the next heartbeat, and writes the counts back
}

void
presence::restore()
{
  if (stopped_) return;
  spawn(executor_, "presence_restore", restore_counts());
}

awaitable<void>
presence::restore_counts()
{
  if (restoring_) co_return;
  restoring_ = true;
  restore_needed_ = false;
  auto const restored = co_await counts_.restore(clock_.wall_ms(), settings_.lease_ttl, local_counts_);
  restoring_ = false;
  if (!restored.ok) {
    restore_needed_ = true;
    spdlog::warn("event=presence_restore_failed error=\"{}\"", restored.error);
    co_return;
  }
  spdlog::info("event=presence_restored users={} announced={} dropped={}", local_counts_.size(),
               restored.announced.size(), restored.dropped.size());
  // Users Redis counted on this lease but this worker has no socket of: settle them as a close.
  for (auto const user : restored.dropped)
    spawn(executor_, "presence_settle", settle_later(user, clock_.wall_ms(), false));
  // Status rows: the live count over every process, not just this worker's share. Both
  // processes restore at once after Redis came back empty, each seeing the count at its own
  // restore: write_live makes the row converge whichever write lands last.
  for (auto const& count : restored.counts) co_await write_live(count.first, count.second);
  for (auto const user : restored.announced) {
    auto turn = turns_.take(user);
    auto audience = co_await records_.contacts_of(user, 0);
    co_await announce(user, std::move(turn), true, std::nullopt, std::move(audience));
  }
}

awaitable<void>
presence::release()
{
  // From here on this worker's counts are going away: the heartbeat must not restore them.
  stopped_ = true;
  heartbeat_timer_.cancel();
  local_counts_.clear();
  auto const now = clock_.wall_ms();
  // Each user going offline is a short chain of steps (settle, status row, live count, contacts,
  // the announcement). One chain per user, even 32 side by side, took 12.6 s for 10,000
  // sockets: so each step goes for a whole batch of users in one store call. And every user is
  // settled (offline in the store) before any is announced: the announcements then go only to
  // viewers still online somewhere, not to this process's other users, who all just left (in
  // a group of 1,000 that is a million group sends saved).
  std::vector<going_offline> gone;
  // Users in their grace period: settled now, this process will not be there to do it.
  // With them, users whose settle failed and waits for a heartbeat that will not come.
  std::vector<std::int64_t> settling(settling_.begin(), settling_.end());
  for (auto const& entry : unsettled_)
    if (!settling_.contains(entry.first)) settling.push_back(entry.first);
  settling_.clear();
  unsettled_.clear();
  auto const batch = settings_.release_batch;
  auto const settling_batches = in_batches(std::move(settling), batch);  // named: it lives across co_awaits
  for (auto const& some : settling_batches) {
    auto const settled = co_await counts_.settle_many(some, now);
    // Offline is decided here: each turn is taken before anything else is awaited.
    for (std::size_t i = 0; i < some.size(); ++i) {
      if (i >= settled.size() || !settled[i].ok) {
        // Past help: no socket of this worker holds them; their online mark stays until they
        // next connect and leave.
        spdlog::warn("event=presence_release_settle_failed user={}", some[i]);
        continue;
      }
      if (settled[i].went_offline) gone.push_back({some[i], turns_.take(some[i])});
    }
  }
  auto released = co_await counts_.release(now);
  if (!released.ok) {
    // The lease expires on its own and another process sweeps its users.
    spdlog::warn("event=presence_release_failed error=\"{}\"", released.error);
  }
  for (auto const user : released.offline) gone.push_back({user, turns_.take(user)});
  if (release_barrier_) co_await release_barrier_();
  auto const concurrency = std::max<std::size_t>(settings_.release_concurrency, 1);
  // Sockets of theirs live elsewhere (in a rolling restart, most users reconnect before this):
  // nothing to announce, but their rows counted the sockets that just closed here, and with
  // the closes left to the release nothing else corrects them. (Named: see for_each_bounded.)
  auto const rewrite_rows = [this, now](std::vector<std::pair<std::int64_t, std::int64_t>>& some) {
    return rewrite_still_online(std::move(some), now);
  };
  co_await for_each_bounded(executor_, "presence_release_live", in_batches(std::move(released.still_online), batch),
                            concurrency, rewrite_rows);
  auto batches = in_batches(std::move(gone), batch);
  // Side by side: the batches are disjoint sets of users, and each user's announcements keep
  // their order through the turn taken above. (A named work function: see for_each_bounded.)
  auto const settle_batch = [this, now](std::vector<going_offline>& some) {
    return release_batch(std::move(some), now);
  };
  co_await for_each_bounded(executor_, "presence_release_batch", std::move(batches), concurrency, settle_batch);
}

awaitable<void>
presence::rewrite_still_online(std::vector<std::pair<std::int64_t, std::int64_t>> some, core::unix_ms now)
{
  auto const size = some.size();
  try {
    // Written, then read back: a count that moved meanwhile (a socket opened or closed
    // elsewhere, or another worker of this process released its lease after this one read
    // it) is written again, as write_live does for one user; 0 writes the row offline, as
    // the settle that decided it may have written its row before this one.
    for (int round = 0; round < settings_.status_row_writes && !some.empty(); ++round) {
      std::vector<store::status_write> rows;
      std::vector<std::int64_t> users;
      rows.reserve(some.size());
      users.reserve(some.size());
      for (auto const& still : some) {
        rows.push_back({still.first, still.second > 0, still.second,
                        still.second > 0 ? std::nullopt : std::optional<core::unix_ms>{now}});
        users.push_back(still.first);
      }
      if (!co_await records_.write_statuses(std::move(rows))) {
        spdlog::warn("event=presence_release_rows_failed users={}", some.size());
        co_return;
      }
      auto const seen = co_await counts_.live_counts(users, clock_.wall_ms());
      std::vector<std::pair<std::int64_t, std::int64_t>> moved;
      for (std::size_t i = 0; i < some.size() && i < seen.size(); ++i)
        if (seen[i] && *seen[i] != some[i].second) moved.emplace_back(some[i].first, *seen[i]);
      some = std::move(moved);
    }
  } catch (std::exception const& e) {
    spdlog::warn("event=presence_release_batch_failed users={} error=\"{}\"", size, e.what());
  }
}

awaitable<void>
presence::release_batch(std::vector<going_offline> some, core::unix_ms now)
{
  auto const size = some.size();
  // A batch that throws loses its own announcements only: the drain goes on to exit.
  try {
    co_await went_offline_many(std::move(some), now, true);
  } catch (std::exception const& e) {
    spdlog::warn("event=presence_release_batch_failed users={} error=\"{}\"", size, e.what());
  }
}

awaitable<void>
presence::went_offline_many(std::vector<going_offline> gone, core::unix_ms last_seen, bool online_viewers_only)
{
  if (gone.empty()) co_return;
  // went_offline's steps, each for the whole batch at once.
  std::vector<store::status_write> rows;
  std::vector<std::int64_t> users;
  rows.reserve(gone.size());
  users.reserve(gone.size());
  for (auto const& g : gone) {
    rows.push_back({g.user, false, 0, last_seen});
    users.push_back(g.user);
  }
  bool const stored = co_await records_.write_statuses(std::move(rows));
  if (!stored)
    for (auto const user : users) unwritten_rows_[user] = last_seen;  // the heartbeat writes them again
  // A socket that opened on another process meanwhile: not announced offline (see went_offline),
  // and its row gets the live count.
  auto const live = co_await counts_.live_counts(users, clock_.wall_ms());
  struct still_online {
    going_offline user;
    std::int64_t live = 0;
  };
  std::vector<still_online> back_online;
  std::vector<going_offline> quiet;
  for (std::size_t i = 0; i < gone.size(); ++i) {
    if (i < live.size() && live[i] && *live[i] > 0) back_online.push_back({std::move(gone[i]), *live[i]});
    else quiet.push_back(std::move(gone[i]));
  }
  // (Each work function is a named variable: see for_each_bounded on GCC 12 and temporaries.)
  auto const write_live = [this](still_online& s) { return write_live_and_leave(std::move(s.user), s.live); };
  co_await for_each_bounded(executor_, "presence_release_live", std::move(back_online), settings_.announce_concurrency,
                            write_live);
  if (quiet.empty()) co_return;
  std::vector<std::int64_t> asking;
  asking.reserve(quiet.size());
  for (auto const& g : quiet) asking.push_back(g.user);
  std::optional<std::vector<std::int64_t>> among;  // nullopt: every contact may be told
  if (online_viewers_only) among = co_await online_viewers_of(asking);
  std::vector<store::contact_list> audiences;
  if (among && among->empty()) {
    // Nobody to tell (all their viewers left too, as in a drain of every socket): no query.
    audiences.resize(asking.size());
    for (auto& audience : audiences) audience.status = store::store_status::ok;
  } else {
    audiences = co_await records_.contacts_of_many(std::move(asking), std::move(among));
  }
  struct offline_announcement {
    std::int64_t user = 0;
    announce_turn turn;
    store::contact_list audience;
  };
  std::vector<offline_announcement> announcements;
  announcements.reserve(quiet.size());
  for (std::size_t i = 0; i < quiet.size(); ++i) {
    store::contact_list audience;
    if (i < audiences.size()) audience = std::move(audiences[i]);
    announcements.push_back({quiet[i].user, std::move(quiet[i].turn), std::move(audience)});
  }
  auto const announce_one = [this, last_seen](offline_announcement& a) {
    return announce(a.user, std::move(a.turn), false, last_seen, std::move(a.audience));
  };
  co_await for_each_bounded(executor_, "presence_release_announce", std::move(announcements),
                            settings_.announce_concurrency, announce_one);
}

awaitable<connect_outcome>
presence::connected(std::int64_t user, std::optional<std::int64_t> chat, int utc_offset_minutes)
{
  connect_outcome out;
  // Draining: this socket is being closed with the others, and the lease's release will count
  // out whatever it holds; counting this one in would only cost the store round trips.
  if (leaving_) co_return out;
  // Counted here, before the store is asked, so a restore running meanwhile writes back a
  // count that already includes this socket (Redis runs the two in the order they were sent).
  ++local_counts_[user];
  settling_.erase(user);
  unsettled_.erase(user);  // a settle to try again would find them online anyway
  auto const reply = co_await counts_.connect(user, clock_.wall_ms(), settings_.lease_ttl);
  out.counted = true;
  if (reply.outcome != count_outcome::done) {
    // Unknown whether the store counted it (a timeout, a reset), or refused (-OOM, -READONLY,
    // -LOADING in a failover: passing): the socket counts all the same, and the next heartbeat
    // writes this worker's true counts back (and announces the user if they were not online).
    // Left uncounted, the socket would show its user offline for its whole life.
    restore_needed_ = true;
    spdlog::warn("event=presence_connect_failed user={} error=\"{}\" action=restore", user, reply.error);
    co_return out;
  }
  // The turn is taken where online is decided, before the round trips below: an offline decided
  // while they wait (the socket closed, its grace ran out) still goes out after this online.
  std::optional<announce_turn> turn;
  if (reply.fresh) turn = turns_.take(user);
  co_await write_live(user, reply.live);
  auto const contacts = co_await records_.contacts_of(user, chat.value_or(0));
  // In the background: the snapshot does not wait for the group sends to every contact (a
  // thousand members' group sends one after the other held each arrival's snapshot back). With
  // no audience, announce() only logs and passes the turn on.
  if (turn) spawn(executor_, "presence_announce", announce(user, std::move(*turn), true, std::nullopt, contacts));
  if (contacts.status != store::store_status::ok) {
    if (!reply.fresh) spdlog::warn("event=presence_audience_failed user={} error=\"{}\"", user, contacts.error);
    co_return out;
  }
  out.own_visibility = contacts.own_visibility;
  out.frame = co_await snapshot(contacts, chat, utc_offset_minutes);
  co_return out;
}

void
presence::forget_one(std::int64_t user)
{
  if (auto it = local_counts_.find(user); it != local_counts_.end() && --it->second <= 0) local_counts_.erase(it);
}

void
presence::disconnected(std::int64_t user)
{
  // Draining: the lease's release counts this socket out with every other (and announces the
  // user offline then, unless a socket of theirs is live on another process). Until then the
  // local counts stay what Redis holds for this lease, so a restore meanwhile drops nobody.
  if (leaving_) return;
  forget_one(user);
  spawn(executor_, "presence_settle", settle_later(user, clock_.wall_ms(), true));
}

awaitable<void>
presence::settle_later(std::int64_t user, core::unix_ms closed_at, bool uncount)
{
  if (uncount) {
    auto const left = co_await counts_.disconnect(user, closed_at);
    // Unknown whether it ran, or refused: the store may still count this socket, and nothing
    // else would take it down. The next heartbeat writes the true counts back (and settles
    // users this worker no longer holds).
    if (left.outcome != count_outcome::done) {
      restore_needed_ = true;
      spdlog::warn("event=presence_disconnect_failed user={} error=\"{}\" action=restore", user, left.error);
    }
    if (left.outcome == count_outcome::done && left.remaining > 0) {
      co_await write_live(user, left.remaining);
      co_return;
    }
  }
  // A reload closes and reopens within moments: wait before telling anyone.
  settling_.insert(user);
  asio::steady_timer grace{executor_};
  grace.expires_after(settings_.grace);
  error_code ec;
  co_await grace.async_wait(as_value(ec));
  if (!settling_.erase(user) || stopped_) co_return;  // reconnected meanwhile, or release() settled it
  auto const settled = co_await counts_.settle(user, clock_.wall_ms());
  if (!settled.ok) {
    // The user's online mark stays in the store with no socket to take it down: the heartbeat
    // settles them again (else they would be shown online for good).
    unsettled_.try_emplace(user, closed_at);
    spdlog::warn("event=presence_settle_failed user={} action=retry", user);
    co_return;
  }
  if (settled.went_offline) co_await went_offline(user, closed_at);
}

void
presence::retry_failed_soon()
{
  if (retrying_ || stopped_ || (unsettled_.empty() && unannounced_.empty())) return;
  retrying_ = true;
  // Beside the heartbeat, not in it: a PostgreSQL outage can leave many users to retry, and the
  // lease must be renewed meanwhile.
  spawn(executor_, "presence_retry", retry_failed(), [this] { retrying_ = false; });
}

awaitable<void>
presence::retry_failed()
{
  // (No guard object resetting the flag: a frame destroyed with its io_context, after this
  // object, must not write to it.)
  co_await settle_failed_again();
  if (!stopped_) co_await announce_failed_again();
  retrying_ = false;
}

awaitable<void>
presence::announce_failed_again()
{
  auto due = std::exchange(unannounced_, {});
  std::vector<std::int64_t> users;
  users.reserve(due.size());
  for (auto const& entry : due) users.push_back(entry.first);
  std::size_t next = 0;
  for (; next < users.size() && !stopped_; ++next) {
    auto const user = users[next];
    auto const change = due[user];
    // The turn first: a change of the user's decided from here on goes out after this one, and
    // one decided before shows in the store's state read next.
    auto turn = turns_.take(user);
    std::vector<std::int64_t> const asked{user};  // named: no braced temporary in a co_await
    auto const online = co_await counts_.online(asked);
    if (!online || online->size() != 1) break;
    if ((*online)[0] != change.online) continue;  // changed since: that change speaks for itself
    auto audience = co_await records_.contacts_of(user, 0);
    if (audience.status != store::store_status::ok) {
      spdlog::warn("event=presence_audience_failed users={} error=\"{}\" action=retry", users.size() - next,
                   audience.error);
      break;
    }
    co_await announce(user, std::move(turn), change.online, change.last_seen, std::move(audience));
  }
  // The rest waits for the next heartbeat (the stores did not answer: one try, one line, not
  // one per user). A newer failed change of the same user, queued meanwhile, wins.
  for (; next < users.size(); ++next) unannounced_.try_emplace(users[next], due[users[next]]);
}

awaitable<void>
presence::settle_failed_again()
{
  if (unsettled_.empty()) co_return;
  auto due = std::exchange(unsettled_, {});
  std::vector<std::int64_t> users;
  users.reserve(due.size());
  for (auto const& entry : due) users.push_back(entry.first);
  auto const settled = co_await counts_.settle_many(users, clock_.wall_ms());
  for (std::size_t i = 0; i < users.size(); ++i) {
    auto const user = users[i];
    // Back meanwhile: their sockets count them (connected() dropped them from the retries).
    if (local_counts_.contains(user) || settling_.contains(user)) continue;
    if (i >= settled.size() || !settled[i].ok || stopped_) {
      unsettled_.try_emplace(user, due[user]);  // next time
      continue;
    }
    if (settled[i].went_offline) co_await went_offline(user, due[user]);
  }
}

awaitable<std::optional<std::vector<std::int64_t>>>
presence::online_viewers_of(std::vector<std::int64_t> const& users)
{
  // A viewer with no socket on any process has nobody to tell. A socket of theirs that opens
  // after this check reads these users' state in its snapshot, after their offline was settled
  // in the store and their rows written (both done before this check), so it shows offline too.
  // Asked before the contacts (one row per user and contact: a million for a 1,000-member group
  // drained at once), so those are read only for the viewers still online.
  auto const viewers = co_await records_.viewers_of_many(users);
  if (!viewers) co_return std::nullopt;  // cannot say: everyone is told, as before
  std::vector<std::int64_t> online_viewers;
  if (viewers->empty()) co_return online_viewers;
  auto const online = co_await counts_.online(*viewers);
  if (!online || online->size() != viewers->size()) co_return std::nullopt;
  for (std::size_t i = 0; i < viewers->size(); ++i)
    if ((*online)[i]) online_viewers.push_back((*viewers)[i]);
  co_return online_viewers;
}

awaitable<void>
presence::write_live_and_leave(going_offline user, std::int64_t live)
{
  co_await write_live(user.user, live);
  user.turn.leave();
}

awaitable<void>
presence::write_live(std::int64_t user, std::int64_t live)
{
  for (int written = 0; written < settings_.status_row_writes; ++written) {
    bool const stored = co_await records_.write_status(user, true, live, std::nullopt);
    if (!stored) {
      unwritten_rows_.try_emplace(user, std::nullopt);  // the heartbeat writes it again
      co_return;
    }
    auto const seen = co_await counts_.live_count(user, clock_.wall_ms());
    // nullopt: the store cannot say now; the row keeps this writer's count, as it did before
    // writers checked.
    // 0: the last socket closed meanwhile; its settle writes the row offline.
    if (!seen || *seen == live || *seen <= 0) co_return;
    live = *seen;
  }
}

awaitable<void>
presence::rewrite_failed_rows()
{
  // Rows whose write failed (PostgreSQL unreachable for a moment): written again with the count
  // Redis holds now, so a row does not keep a stale count until the user's next change.
  if (unwritten_rows_.empty()) co_return;
  auto const due = std::move(unwritten_rows_);
  unwritten_rows_.clear();
  for (auto const& row : due) {
    auto const live = co_await counts_.live_count(row.first, clock_.wall_ms());
    if (!live) {
      unwritten_rows_.insert(row);  // Redis cannot say either: next time
      continue;
    }
    if (*live > 0) {
      co_await write_live(row.first, *live);
      continue;
    }
    // (Not inside the condition: GCC 12 miscompiles a co_await there.)
    bool const stored = co_await records_.write_status(row.first, false, 0, row.second.value_or(clock_.wall_ms()));
    if (!stored) unwritten_rows_.insert(row);
  }
}

awaitable<void>
presence::went_offline(std::int64_t user, core::unix_ms last_seen)
{
  // Offline was decided by the caller: the turn is taken now, before the round trips below.
  auto turn = turns_.take(user);
  bool const stored = co_await records_.write_status(user, false, 0, last_seen);
  if (!stored) unwritten_rows_[user] = last_seen;  // the heartbeat writes it again
  // A socket that opened on another process meanwhile may have had its row written first: this
  // offline write must not be the last word then.
  auto const now_live = co_await counts_.live_count(user, clock_.wall_ms());
  if (now_live && *now_live > 0) {
    // Nor announced: that socket's process found the user fresh (the settle or sweep that led
    // here took them off the online set) and announces online; an offline after it would stick.
    co_await write_live(user, *now_live);
    turn.leave();
    co_return;
  }
  auto audience = co_await records_.contacts_of(user, 0);
  co_await announce(user, std::move(turn), false, last_seen, std::move(audience));
}

awaitable<void>
presence::announce(std::int64_t user, announce_turn turn, bool online, std::optional<core::unix_ms> last_seen,
                   store::contact_list audience)
{
  co_await turn.wait();
  if (audience.status != store::store_status::ok) {
    // Nobody is told now (rather than a guessed audience): the heartbeat tries again, unless a
    // newer change of the user's is announced first.
    unannounced_[user] = {online, last_seen};
    spdlog::warn("event=presence_audience_failed user={} error=\"{}\" action=retry", user, audience.error);
  } else {
    unannounced_.erase(user);  // this change is newer than any that failed
    metrics_.presence_changes.fetch_add(1, std::memory_order_relaxed);
    protocol::presence_entry const entry{user, online, last_seen, false};
    std::vector<core::presence_viewer> viewers;
    viewers.reserve(audience.contacts.size());
    for (auto const& c : audience.contacts) viewers.push_back({c.user_id, c.direct, c.grouped, c.visibility});
    std::span<std::int64_t const> const group_chats =
        settings_.through_groups ? std::span<std::int64_t const>{audience.group_chats} : std::span<std::int64_t const>{};
    auto const plan = core::plan_presence_audience(audience.own_visibility, viewers, group_chats);
    std::vector<addressee> users;
    users.reserve(plan.users.size());
    for (auto const viewer : plan.users)
      users.push_back({groups_.user_group_prefix + std::to_string(viewer), std::nullopt});
    co_await send_to_groups(std::move(users), protocol::presence_event(entry));
    // Each chat's copy names its chat, so a socket that left the chat drops one still on its
    // way (as it drops the chat's messages).
    std::vector<addressee> chats;
    chats.reserve(plan.group_chats.size());
    for (auto const chat : plan.group_chats) chats.push_back({groups_.chat_group_prefix + std::to_string(chat), chat});
    auto members_event = protocol::presence_members_event(entry);
    co_await send_to_groups(std::move(chats), std::move(members_event));
    spdlog::info("event=presence_changed user={} online={}", user, online);
  }
  turn.leave();  // (as the turn's destructor would: also when a send above throws)
}

namespace {

/// What the group sends of one announcement share: the event, and how many failed.
struct announcement_sends {
  explicit announcement_sends(bus_event what) : event(std::move(what)) {}
  bus_event event;  // (initialised with parentheses: braces would make a JSON array of it)
  std::size_t failed = 0;
  std::string last_failure;
};

awaitable<void>
send_one(message_bus& bus, std::string group, std::optional<std::int64_t> chat,
         std::shared_ptr<announcement_sends> sends)
{
  // A failed send to a user group loses that viewer's update only (presence is not retried;
  // the viewer's next snapshot is right); the others still go. A chat's group carries the
  // update of every member at once, so its send is tried a second time when the bus did not
  // answer (members it reached on another shard may hear it twice; a socket shows the latest).
  int const attempts = chat ? 2 : 1;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    try {
      auto event = sends->event;  // (the bus takes its own copy anyway)
      if (chat) event["chat"] = *chat;
      auto const sent = co_await bus.group_send(group, std::move(event));
      if (sent.status == bus_status::ok) co_return;
      sends->last_failure = sent.reason;
      if (sent.status == bus_status::refused) break;  // it never could carry it
    } catch (std::exception const& e) {
      sends->last_failure = e.what();
    }
  }
  ++sends->failed;
}

}  // namespace

awaitable<void>
presence::send_to_groups(std::vector<addressee> groups, bus_event event)
{
  if (groups.empty()) co_return;
  auto const total = groups.size();
  auto sends = std::make_shared<announcement_sends>(std::move(event));
  auto const send = [this, sends](addressee const& to) { return send_one(bus_, to.group, to.chat, sends); };
  co_await for_each_bounded(executor_, "presence_send", std::move(groups), settings_.announce_concurrency, send);
  // One line per announcement, not one per viewer: with the bus down that would be thousands.
  if (sends->failed > 0)
    spdlog::warn("event=presence_send_failed groups={} failed={} reason=\"{}\"", total, sends->failed,
                 sends->last_failure);
}

awaitable<std::optional<std::string>>
presence::snapshot(store::contact_list const& contacts, std::optional<std::int64_t> chat, int utc_offset_minutes)
{
  std::vector<protocol::presence_entry> entries;
  std::vector<std::int64_t> users;
  for (auto const& c : contacts.contacts) {
    if (chat && !c.in_chat) continue;
    if (!core::may_see_presence(c.visibility, contacts.own_visibility, c.direct, false)) continue;
    entries.push_back({c.user_id, false, c.last_seen, false});
    users.push_back(c.user_id);
  }
  // Sent even when empty: the frame after hello is always the snapshot, so clients (and tests)
  // know the opening state is complete.
  if (entries.empty()) co_return protocol::presence_frame(entries, clock_.wall_ms(), utc_offset_minutes);
  auto const online = co_await counts_.online(std::move(users));
  if (!online || online->size() != entries.size()) co_return std::nullopt;
  for (std::size_t i = 0; i < entries.size(); ++i) entries[i].online = (*online)[i];
  co_return protocol::presence_frame(entries, clock_.wall_ms(), utc_offset_minutes);
}

}  // namespace tandem::service
