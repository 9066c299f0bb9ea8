// Online / last seen across sidecar processes: each worker holds a lease in Redis (renewed by
// heartbeat); a user is online while any live lease holds one of their sockets. Changes are
// announced once (the Redis scripts decide which process announces) to everyone allowed to see
// them (through their user groups, or once per group chat for its members), and written to the
// user status row for Django's views.
// Depends only on the ports (presence store, presence records, message bus, clock).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <functional>
#include <optional>
#include <string_view>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "asio/asio.hpp"
#include "core/time.hpp"
#include "ops/metrics.hpp"
#include "service/messaging_settings.hpp"
#include "service/ports/clock.hpp"
#include "service/ports/message_bus.hpp"
#include "service/ports/presence_records.hpp"
#include "service/ports/presence_store.hpp"
#include "service/presence_settings.hpp"
#include "service/presence_turns.hpp"

namespace tandem::service {

/// What a new socket's presence step achieved.
struct connect_outcome {
  /// The socket counts for its user: its close must be reported with disconnected(). True even
  /// when Redis could not be told (the next heartbeat writes the counts back); false only for a
  /// socket opening while its worker drains.
  bool counted = false;
  /// The socket's presence snapshot; nullopt when the stores cannot say.
  std::optional<std::string> frame;
  /// The user's own presence setting, read with the snapshot's contacts; nullopt when unknown.
  std::optional<core::visibility> own_visibility;
};

class presence {
 public:
  presence(asio::any_io_executor executor, presence_store& counts, presence_records& records, message_bus& bus,
           clock const& clock, presence_settings const& settings, messaging_settings const& groups,
           ops::thread_metrics& metrics);

  /// Starts the heartbeat and the sweep of dead leases.
  void start();
  /// Called when a dead worker's lease was swept (its process killed, or cut off from Redis
  /// longer than a lease), by this worker or by any other one: this worker's sweep says so at
  /// once, others' show in the store's sweep counter at the next heartbeat. Messages the dead
  /// worker acknowledged (committed) may never have been published, so the caller tells its
  /// open sockets to sync (a `resync` hint).
  void on_lease_swept(std::function<void()> notify) { lease_swept_ = std::move(notify); }
  void stop();
  /// At exit, after the sockets closed: settles users waiting out their grace period and
  /// drops this worker's lease, announcing who went offline, instead of leaving it to expire.
  awaitable<void> release();

  /// A socket of `user` opened on this worker (on /ws/chat/<chat>/ when chat is set). Counts
  /// it, announces the user online if this is their first socket anywhere, and returns the
  /// socket's presence frame: the members of `chat` (or, with none, every contact) that the
  /// user may see, possibly none. One contacts query serves the announcement and the snapshot.
  awaitable<connect_outcome> connected(std::int64_t user, std::optional<std::int64_t> chat, int utc_offset_minutes);
  /// The user's own presence setting as stored now (a socket shows presence.members by it);
  /// nullopt when the store cannot say.
  awaitable<std::optional<core::visibility>> own_visibility(std::int64_t user) { return records_.own_visibility(user); }
  /// A counted socket of `user` closed; "offline" follows after the grace period if no other
  /// remains.
  void disconnected(std::int64_t user);
  /// The process is draining: every socket of this worker is about to close and release()
  /// lets go of the whole lease in one call, so a close from now on costs no round trip of its
  /// own (10,000 of them were a third of a drain's Redis work), and a socket still being
  /// opened is not counted at all. If the release never comes (Redis down, a second SIGTERM,
  /// SIGKILL), the lease expires and another process sweeps it.
  void leaving() { leaving_ = true; }
  /// Awaited by release() once this worker's sockets are counted out, before anyone is told:
  /// a drain stops every worker of the process at once, and until the others have counted
  /// theirs out too, their users look online and would be sent offlines they are about to miss
  /// (with a 1,000-member group, a storm of group sends that made some drains twice as long).
  void before_telling_release(std::function<awaitable<void>()> wait) { release_barrier_ = std::move(wait); }
  /// Puts this worker's counts back into Redis (after Redis lost them, or another process
  /// swept the lease during a long outage) and announces users who were not online.
  void restore();
  /// The store's connection was made again (a Redis restart, a network cut, a Sentinel
  /// failover to another master): renews this worker's lease at once (with its counts, as
  /// restore()) and sweeps no other lease for one lease lifetime. A promoted replica can hold
  /// lease times older than a lease lifetime, so the first sweep there would take every live
  /// worker's lease (everyone announced offline); within one lifetime each live worker renews.
  void store_reconnected();
  /// Sockets per user on this worker, as counted in Redis: the truth restore() writes back.
  std::unordered_map<std::int64_t, int> const& local_counts() const noexcept { return local_counts_; }
  /// Users whose presence change is being (or waiting to be) sent to their contacts.
  std::size_t announcements_under_way() const noexcept { return turns_.users(); }

 private:
  awaitable<void> heartbeat_loop();
  /// The store's sweep counter read at `total`: calls on_lease_swept's notifier if it moved on
  /// since the last reading (not on the first: sockets sync at their hello anyway).
  void note_sweeps(std::int64_t total);
  /// No sweeping for one lease lifetime from now (the store's lease times cannot be trusted).
  void hold_sweeps(std::string_view why);
  /// One socket of `user` less in this worker's counts.
  void forget_one(std::int64_t user);
  awaitable<void> restore_counts();
  /// A close: `uncount` runs the disconnect script first; then, if no socket is left, the
  /// grace period and the settle (offline, announced).
  awaitable<void> settle_later(std::int64_t user, core::unix_ms closed_at, bool uncount);
  // A place in a user's line of announcements (turns_.take) is taken at once, before any
  // co_await, so the order of the changes is the order they were decided in: an offline decided
  // after an online goes out after it, even when the online one was started in the background.
  /// Waits for `turn`, tells `audience` (the user's contacts) of the change, those the privacy
  /// rules allow (through their user groups, or their group chats' groups when that takes fewer
  /// sends: core::plan_presence_audience), and hands the turn on. The audience by value: the
  /// caller may not wait.
  awaitable<void> announce(std::int64_t user, announce_turn turn, bool online, std::optional<core::unix_ms> last_seen,
                           store::contact_list audience);
  /// A group an announcement goes to; a chat's group gets the event with its "chat".
  struct addressee {
    std::string group;
    std::optional<std::int64_t> chat;
  };
  /// One group send per group, up to settings_.announce_concurrency in flight at once (they
  /// pipeline on the bus's connection); completes when all have answered.
  awaitable<void> send_to_groups(std::vector<addressee> groups, bus_event event);
  /// Writes the rows in unwritten_rows_ again, from the live count the store holds now.
  awaitable<void> rewrite_failed_rows();
  /// Settles the users in unsettled_ again (one pipelined call), announcing who went offline
  /// with their close's time as last seen.
  awaitable<void> settle_failed_again();
  /// Announces the changes in unannounced_ again, each if the store still holds it (a newer one
  /// is announced on its own), one user at a time; at the first store that cannot answer the
  /// rest wait for the next heartbeat.
  awaitable<void> announce_failed_again();
  /// Starts retry_failed() beside the heartbeat unless it runs already or has nothing to do.
  void retry_failed_soon();
  awaitable<void> retry_failed();
  /// Records last_seen and announces offline to the user's contacts (read now), unless a socket
  /// of the user opened meanwhile (then the row gets the live count and nothing is announced).
  awaitable<void> went_offline(std::int64_t user, core::unix_ms last_seen);
  /// A user whose offline was just decided, with their turn (taken at the decision).
  struct going_offline {
    std::int64_t user = 0;
    announce_turn turn;
  };
  /// One batch of release(): the users' offline rows and announcements; a failure is logged
  /// and costs this batch only.
  awaitable<void> release_batch(std::vector<going_offline> some, core::unix_ms now);
  /// One batch of release()'s users still online on other processes: their rows written with
  /// the live counts (one statement, one live count round trip), again while a count moves.
  awaitable<void> rewrite_still_online(std::vector<std::pair<std::int64_t, std::int64_t>> some, core::unix_ms now);
  /// went_offline for many users at once, each with its turn taken when the store decided it:
  /// one status row statement, one live count round trip and one contacts query for them all,
  /// then the announcements, announce_concurrency users at a time. `online_viewers_only`: told
  /// are only viewers with a socket open on some process (keep_online_viewers).
  awaitable<void> went_offline_many(std::vector<going_offline> gone, core::unix_ms last_seen,
                                    bool online_viewers_only);
  /// Of everyone who shares a chat with any of `users`, those with a live socket on some process
  /// (one query and one pipelined lookup for them all); nullopt when the stores cannot say.
  awaitable<std::optional<std::vector<std::int64_t>>> online_viewers_of(std::vector<std::int64_t> const& users);
  /// Writes the user's status row as online with `live` sockets, then reads the live count back
  /// from the presence store and writes again while it differs. Processes write the row in any
  /// order, each with the count its own store step saw; because every writer checks after
  /// writing, the row ends at the store's count (a plain last-writer-wins left 1 with two tabs
  /// open).
  awaitable<void> write_live(std::int64_t user, std::int64_t live);
  /// went_offline's ending for a user found online again: write_live, then the turn is left
  /// unused.
  awaitable<void> write_live_and_leave(going_offline user, std::int64_t live);
  awaitable<std::optional<std::string>> snapshot(store::contact_list const& contacts, std::optional<std::int64_t> chat,
                                                 int utc_offset_minutes);

  asio::any_io_executor executor_;
  presence_store& counts_;
  presence_records& records_;
  message_bus& bus_;
  clock const& clock_;
  presence_settings const& settings_;
  messaging_settings const& groups_;
  ops::thread_metrics& metrics_;
  asio::steady_timer heartbeat_timer_;
  std::function<void()> lease_swept_;
  std::function<awaitable<void>()> release_barrier_;  // see before_telling_release()
  std::optional<std::int64_t> sweeps_seen_;  // the store's sweep counter at the last reading
  std::chrono::steady_clock::time_point sweeps_held_until_{};  // see hold_sweeps()
  std::unordered_map<std::int64_t, int> local_counts_;
  std::unordered_set<std::int64_t> settling_;  // users in their grace period after a close
  announce_lines turns_;  // per user, the announcements waiting or under way, in order
  /// Status rows whose write failed, with the last_seen of an offline write (nullopt: online).
  std::unordered_map<std::int64_t, std::optional<core::unix_ms>> unwritten_rows_;
  /// Users whose settle after the grace period failed, with their close's time: the heartbeat
  /// settles them again.
  std::unordered_map<std::int64_t, core::unix_ms> unsettled_;
  /// Per user, the latest change whose audience could not be read: announced at a heartbeat.
  struct unannounced_change {
    bool online = false;
    std::optional<core::unix_ms> last_seen;
  };
  std::unordered_map<std::int64_t, unannounced_change> unannounced_;
  bool stopped_ = false;
  bool leaving_ = false;  // see leaving()
  bool restoring_ = false;
  bool retrying_ = false;  // retry_failed() is under way
  bool restore_needed_ = false;  // a count change's outcome is unknown (timeout): restore soon
};

}  // namespace tandem::service
