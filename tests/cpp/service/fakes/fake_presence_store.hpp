// An in-memory presence store with the Redis scripts' semantics: leases with expiries, each
// user's sockets per lease, the online set deciding who announces. This worker's lease is
// "self"; other_process() puts sockets on other leases. Faults: `refused` changes nothing,
// `unavailable` changes nothing and says "unknown", `timeout` makes the change and says
// "unknown" (the reply was lost); calls that are not count changes just fail.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "fakes/fault_plan.hpp"
#include "service/ports/presence_store.hpp"

namespace tandem::fakes {

class fake_presence_store final : public service::presence_store {
 public:
  static constexpr char const* self = "self";

  awaitable<service::lease_reply> renew_lease(core::unix_ms now, std::chrono::milliseconds ttl) override;
  awaitable<service::sweep_reply> sweep(core::unix_ms now, std::size_t batch, std::chrono::milliseconds ttl) override;
  awaitable<service::restore_reply> restore(core::unix_ms now, std::chrono::milliseconds ttl,
                                            std::unordered_map<std::int64_t, int> counts) override;
  awaitable<service::connect_reply> connect(std::int64_t user, core::unix_ms now, std::chrono::milliseconds ttl) override;
  awaitable<service::disconnect_reply> disconnect(std::int64_t user, core::unix_ms closed_at) override;
  awaitable<service::settle_reply> settle(std::int64_t user, core::unix_ms now) override;
  /// One call (one fault taken) for the whole batch, as one pipelined round trip.
  awaitable<std::vector<service::settle_reply>> settle_many(std::vector<std::int64_t> users,
                                                            core::unix_ms now) override;
  awaitable<service::release_reply> release(core::unix_ms now) override;
  awaitable<std::optional<std::int64_t>> live_count(std::int64_t user, core::unix_ms now) override;
  awaitable<std::vector<std::optional<std::int64_t>>> live_counts(std::vector<std::int64_t> users,
                                                                  core::unix_ms now) override;
  awaitable<std::optional<std::vector<bool>>> online(std::vector<std::int64_t> users) override;

  /// `sockets` of `user` on another process's lease, alive until `lease_expiry`; the user is
  /// online.
  void other_process(std::string const& lease, core::unix_ms lease_expiry, std::int64_t user, int sockets);
  /// Another worker released `lease` (as release() does): its sockets are counted out and its
  /// users with none left anywhere go offline.
  void other_process_released(std::string const& lease, core::unix_ms now);
  /// Sets a lease's expiry as the store holds it (a promoted replica's stale lease times).
  void set_lease_expiry(std::string const& lease, core::unix_ms expiry) { leases_[lease] = expiry; }
  /// Another process's worker swept `leases` dead leases (the sweep counter moves on).
  void swept_elsewhere(std::int64_t leases = 1) { sweeps_total_ += leases; }
  /// Forgets everything, as a Redis restarted empty.
  void lose_everything();
  /// The user's sockets on live leases at `now`.
  std::int64_t live(std::int64_t user, core::unix_ms now) const;
  int count_on_self(std::int64_t user) const;
  bool is_online(std::int64_t user) const { return online_.contains(user); }
  bool has_lease(std::string const& lease) const { return leases_.contains(lease); }

  fault_plan faults;
  int sweeps = 0;  // sweep() calls that got past the fault plan

 private:
  std::map<std::string, core::unix_ms> leases_;                    // lease → expiry
  std::map<std::int64_t, std::map<std::string, int>> sockets_;     // user → lease → sockets
  std::set<std::int64_t> online_;
  std::int64_t sweeps_total_ = 0;  // dead leases swept by anyone, as the `sweeps` key
};

}  // namespace tandem::fakes
