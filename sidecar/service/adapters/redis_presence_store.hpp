// Presence counts in Redis, on the channel layer's connections, spread over its shards by user:
// every change is one of the Lua scripts of presence_scripts.hpp on the keys of one hash tag
// (presence_keys.hpp), so each step is atomic across sidecar processes and runs under Redis
// Cluster's slot rules. Steps that span users (sweep, restore, release) pipeline one script per
// user on each shard. This worker's lease is its channel layer's instance id (its own, although
// the threads of a process share one client prefix).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "layer/channel_layer.hpp"
#include "service/ports/presence_store.hpp"

namespace tandem::service {

class redis_presence_store final : public presence_store {
 public:
  explicit redis_presence_store(layer::channel_layer& layer);

  awaitable<lease_reply> renew_lease(core::unix_ms now, std::chrono::milliseconds ttl) override;
  awaitable<sweep_reply> sweep(core::unix_ms now, std::size_t batch, std::chrono::milliseconds ttl) override;
  awaitable<restore_reply> restore(core::unix_ms now, std::chrono::milliseconds ttl,
                                   std::unordered_map<std::int64_t, int> counts) override;
  awaitable<connect_reply> connect(std::int64_t user, core::unix_ms now, std::chrono::milliseconds ttl) override;
  awaitable<disconnect_reply> disconnect(std::int64_t user, core::unix_ms closed_at) override;
  awaitable<settle_reply> settle(std::int64_t user, core::unix_ms now) override;
  awaitable<std::vector<settle_reply>> settle_many(std::vector<std::int64_t> users, core::unix_ms now) override;
  awaitable<release_reply> release(core::unix_ms now) override;
  awaitable<std::optional<std::int64_t>> live_count(std::int64_t user, core::unix_ms now) override;
  awaitable<std::vector<std::optional<std::int64_t>>> live_counts(std::vector<std::int64_t> users,
                                                                  core::unix_ms now) override;
  awaitable<std::optional<std::vector<bool>>> online(std::vector<std::int64_t> users) override;

 private:
  /// One script per user, pipelined per shard: each user's reply in the users' order, nullopt
  /// for a user whose shard failed or who got an error reply.
  awaitable<std::vector<std::optional<layer::resp_value>>> per_user(layer::channel_layer::lua_script const& script,
                                                                    std::vector<std::int64_t> const& users,
                                                                    std::vector<std::vector<std::string>> args);
  awaitable<layer::resp_batch> on_tag(std::string const& key, layer::channel_layer::lua_script const& script,
                                      std::vector<std::string> keys, std::vector<std::string> args);
  /// Puts the lease in the registry: 0 renewed, 1 was missing, 2 being swept, -1 failed.
  awaitable<std::int64_t> register_lease(core::unix_ms now, core::unix_ms expiry, std::string& error);
  /// What letting go of a lease's users came to: users whose step ran (`done`; they left the
  /// lease's set), which of them went offline and which are still online elsewhere (with their
  /// live sockets); `complete` is false when some users' shards did not answer.
  struct let_go_result {
    bool complete = true;
    std::vector<std::int64_t> done;
    std::vector<std::int64_t> offline;
    std::vector<std::pair<std::int64_t, std::int64_t>> still_online;
  };
  /// `lease` lets go of `users` (`mode` "settle" or "keep"); the others stay in its user set
  /// for a later attempt.
  awaitable<let_go_result> let_go(std::string const& lease, std::vector<std::int64_t> const& users,
                                  std::string const& mode);
  awaitable<std::optional<std::vector<std::int64_t>>> lease_members(std::string const& lease);
  awaitable<bool> run_plain(std::string const& key, std::vector<std::vector<std::string>> commands);

  layer::channel_layer& layer_;
  std::string const lease_;
  layer::channel_layer::lua_script const connect_, disconnect_, settle_, leave_, restore_, heartbeat_, claim_dead_,
      finish_claim_, reset_lease_users_, live_count_;
  /// Users this worker has put in its lease's user set (SADD once per user, not per socket).
  std::unordered_set<std::int64_t> listed_;
  /// This worker's sockets per user, counted from the start of connect() to the start of
  /// disconnect(): a user leaves the set only when none is open or opening here.
  std::unordered_map<std::int64_t, int> local_;
  std::int64_t sweeps_seen_ = 0;  // the registry's sweeps counter at the last renewal
  bool lease_had_expired_ = false;  // a registration found this lease run out; the next renewal reports it
  bool registered_ = false;      // the lease is in the registry (before counting any socket)
  bool restore_again_ = false;   // a restore reached only some shards: the next heartbeat redoes it
};

}  // namespace tandem::service
