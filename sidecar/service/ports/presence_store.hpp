// Where presence counts live, shared by every sidecar process: per worker a lease (renewed by
// heartbeat) and per user the sockets each lease holds; the store decides, atomically across
// processes, who just came online or went offline, so exactly one process announces it. The
// adapter over Redis (Lua scripts) is service/adapters/redis_presence_store.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "asio/asio.hpp"
#include "core/time.hpp"

namespace tandem::service {

/// How a change of a count came out: done, refused (an error reply such as -OOM: it did not
/// happen), or unknown (a timeout or a reset: it may have happened).
enum class count_outcome : std::uint8_t { done, refused, unknown };

struct connect_reply {
  count_outcome outcome = count_outcome::refused;
  bool fresh = false;      // the user's first live socket anywhere: announce online
  std::int64_t live = 0;   // the user's live sockets over every process
  std::string error;
};

struct disconnect_reply {
  count_outcome outcome = count_outcome::refused;
  std::int64_t remaining = 0;  // the user's sockets still live anywhere
  std::string error;
};

struct lease_reply {
  bool ok = false;
  bool lease_was_lost = false;  // the lease was gone (the store lost it, or a sweep took it)
  std::int64_t leases_swept_total = 0;  // dead leases any process swept so far (a counter in the store)
  /// The lease was there but had run out although this worker renews it: the store's leases
  /// are stale (a replica promoted by a failover), so sweeping now would take live ones.
  bool lease_had_expired = false;
  std::string error;
};

struct sweep_reply {
  bool ok = false;
  std::size_t leases_swept = 0;         // dead leases taken off by this sweep (with their users or without)
  std::int64_t leases_swept_total = 0;  // the counter of lease_reply, after this sweep
  std::vector<std::pair<std::int64_t, core::unix_ms>> offline;        // (user, last seen): went offline
  std::vector<std::pair<std::int64_t, std::int64_t>> still_online;   // (user, live sockets)
};

struct restore_reply {
  bool ok = false;
  std::vector<std::int64_t> announced;  // users who were not online: announce them
  std::vector<std::int64_t> dropped;    // users the lease held but the worker has no socket of
  std::vector<std::pair<std::int64_t, std::int64_t>> counts;  // (user, live sockets everywhere)
  std::string error;
};

struct settle_reply {
  bool ok = false;
  bool went_offline = false;  // no live socket left: this process announces it
};

struct release_reply {
  bool ok = false;
  std::vector<std::int64_t> offline;  // users whose last sockets were on the released lease
  // Users with sockets on the released lease and on other processes: (user, live sockets
  // left). Their status rows still count the released sockets until written again.
  std::vector<std::pair<std::int64_t, std::int64_t>> still_online;
  std::string error;
};

class presence_store {
 public:
  virtual ~presence_store() = default;
  /// Renews this worker's lease until now + ttl.
  virtual awaitable<lease_reply> renew_lease(core::unix_ms now, std::chrono::milliseconds ttl) = 0;
  /// Takes up to `batch` dead leases off (any worker may; each dead lease goes to one).
  virtual awaitable<sweep_reply> sweep(core::unix_ms now, std::size_t batch, std::chrono::milliseconds ttl) = 0;
  /// Writes this worker's true counts back (after the store lost them) and renews the lease.
  virtual awaitable<restore_reply> restore(core::unix_ms now, std::chrono::milliseconds ttl,
                                           std::unordered_map<std::int64_t, int> counts) = 0;
  virtual awaitable<connect_reply> connect(std::int64_t user, core::unix_ms now, std::chrono::milliseconds ttl) = 0;
  virtual awaitable<disconnect_reply> disconnect(std::int64_t user, core::unix_ms closed_at) = 0;
  /// After the grace period: offline if no live socket is left.
  virtual awaitable<settle_reply> settle(std::int64_t user, core::unix_ms now) = 0;
  /// settle() for each of `users`, pipelined (one round trip per shard, not per user): the
  /// replies in the users' order.
  virtual awaitable<std::vector<settle_reply>> settle_many(std::vector<std::int64_t> users, core::unix_ms now) = 0;
  /// Drops this worker's lease at exit.
  virtual awaitable<release_reply> release(core::unix_ms now) = 0;
  /// The user's sockets on live leases now, over every process; changes no count. nullopt
  /// when the store cannot say. (Status row writers check their write against it.)
  virtual awaitable<std::optional<std::int64_t>> live_count(std::int64_t user, core::unix_ms now) = 0;
  /// live_count() for each of `users`, pipelined: in the users' order, nullopt where the store
  /// cannot say.
  virtual awaitable<std::vector<std::optional<std::int64_t>>> live_counts(std::vector<std::int64_t> users,
                                                                          core::unix_ms now) = 0;
  /// Which of `users` are online, in order; nullopt when the store cannot say.
  virtual awaitable<std::optional<std::vector<bool>>> online(std::vector<std::int64_t> users) = 0;
};

}  // namespace tandem::service
