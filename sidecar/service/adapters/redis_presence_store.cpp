// Script arguments in, typed replies out. A transport failure (timeout, reset) is "unknown"
// (the script may have run); an error reply (-OOM, -NOPERM) or a malformed reply is "refused".
#include "service/adapters/redis_presence_store.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "core/decimal.hpp"
#include "service/adapters/presence_keys.hpp"
#include "service/adapters/presence_scripts.hpp"

namespace tandem::service {

namespace {

using core::to_int64;
using lua_script = layer::channel_layer::lua_script;

/// The first reply, when the batch succeeded and it is an array of `size` elements.
layer::resp_value const*
array_reply(layer::resp_batch const& batch, std::size_t size)
{
  if (layer::failed(batch) || batch.replies.empty() || batch.replies[0].elements.size() != size) return nullptr;
  return &batch.replies[0];
}

/// A dead lease's user set outlives the lease long enough for a sweep that fails now and then
/// to be retried (a claim expires after one lease time to live), yet not forever.
constexpr int lease_users_keep_ttls = 240;

std::vector<std::string>
user_keys(std::string const& prefix, std::int64_t user)
{
  return {keys::user_sockets(prefix, user), keys::user_online(prefix, user)};
}

}  // namespace

redis_presence_store::redis_presence_store(layer::channel_layer& layer)
    : layer_{layer},
      lease_{layer.instance_id()},
      connect_{scripts::connect},
      disconnect_{scripts::disconnect},
      settle_{scripts::settle},
      leave_{scripts::leave},
      restore_{scripts::restore},
      heartbeat_{scripts::heartbeat},
      claim_dead_{scripts::claim_dead},
      finish_claim_{scripts::finish_claim},
      reset_lease_users_{scripts::reset_lease_users},
      live_count_{scripts::live_count}
{
}

awaitable<layer::resp_batch>
redis_presence_store::on_tag(std::string const& key, lua_script const& script, std::vector<std::string> keys,
                             std::vector<std::string> args)
{
  std::vector<layer::channel_layer::script_call> calls;
  calls.push_back({&script, std::move(keys), std::move(args)});
  co_return co_await layer_.run_scripts(layer_.shard_of(keys::routing_tag(key)), std::move(calls));
}

awaitable<bool>
redis_presence_store::run_plain(std::string const& key, std::vector<std::vector<std::string>> commands)
{
  auto const batch = co_await layer_.run_commands(keys::routing_tag(key), std::move(commands));
  co_return !layer::failed(batch);
}

awaitable<std::vector<std::optional<layer::resp_value>>>
redis_presence_store::per_user(lua_script const& script, std::vector<std::int64_t> const& users,
                               std::vector<std::vector<std::string>> args)
{
  std::vector<std::optional<layer::resp_value>> out(users.size());
  // One pipeline per shard, each user's script on its own keys (one tag each).
  std::map<std::size_t, std::vector<std::size_t>> by_shard;
  auto const& prefix = layer_.prefix();
  for (std::size_t i = 0; i < users.size(); ++i)
    by_shard[layer_.shard_of(keys::routing_tag(keys::user_sockets(prefix, users[i])))].push_back(i);
  // (Iterators, not structured bindings: GCC 12 mishandles those across a co_await.)
  for (auto it = by_shard.begin(); it != by_shard.end(); ++it) {
    auto const shard = it->first;
    auto const& indices = it->second;
    std::vector<layer::channel_layer::script_call> calls;
    calls.reserve(indices.size());
    for (auto const i : indices) calls.push_back({&script, user_keys(prefix, users[i]), std::move(args[i])});
    auto const batch = co_await layer_.run_scripts(shard, std::move(calls));
    if (batch.ec || batch.replies.size() != indices.size()) continue;  // this shard's users stay unknown
    for (std::size_t j = 0; j < indices.size(); ++j)
      if (!batch.replies[j].is_error()) out[indices[j]] = batch.replies[j];
  }
  co_return out;
}

awaitable<std::int64_t>
redis_presence_store::register_lease(core::unix_ms now, core::unix_ms expiry, std::string& error)
{
  auto const registry = keys::lease_registry(layer_.prefix());
  std::vector<std::string> keys{registry, registry + ":sweeping", registry + ":sweeps"};
  std::vector<std::string> args{lease_, std::to_string(expiry), std::to_string(now)};
  auto const renewed = co_await on_tag(registry, heartbeat_, std::move(keys), std::move(args));
  auto const* reply = array_reply(renewed, 3);
  if (!reply) {
    error = layer::describe_failure(renewed);
    co_return -1;
  }
  auto const code = reply->elements[0].integer;
  sweeps_seen_ = reply->elements[1].integer;
  // Kept until a heartbeat reports it: a connect or restore may be the first to see it.
  if (reply->elements[2].integer == 1) lease_had_expired_ = true;
  if (code == 2) {
    error = "a sweep of this worker's lease is under way (it missed heartbeats)";
  } else {
    registered_ = true;
  }
  co_return code;
}

awaitable<lease_reply>
redis_presence_store::renew_lease(core::unix_ms now, std::chrono::milliseconds ttl)
{
  lease_reply out;
  auto const code = co_await register_lease(now, now + ttl.count(), out.error);
  if (code < 0 || code == 2) co_return out;
  auto const users = keys::lease_users(layer_.prefix(), lease_);
  std::vector<std::vector<std::string>> keep{
      {"PEXPIRE", users, std::to_string(ttl.count() * lease_users_keep_ttls)}};
  co_await run_plain(users, std::move(keep));  // best effort: only bounds a dead lease's leftovers
  out.ok = true;
  out.leases_swept_total = sweeps_seen_;
  out.lease_had_expired = std::exchange(lease_had_expired_, false);
  // A restore that reached only some shards asks for another through the lease being "lost".
  out.lease_was_lost = code == 1 || restore_again_;
  co_return out;
}

awaitable<redis_presence_store::let_go_result>
redis_presence_store::let_go(std::string const& lease, std::vector<std::int64_t> const& users, std::string const& mode)
{
  std::vector<std::vector<std::string>> args;
  args.reserve(users.size());
  for (std::size_t i = 0; i < users.size(); ++i) args.push_back({lease, mode});
  auto const replies = co_await per_user(leave_, users, std::move(args));
  let_go_result out;
  for (std::size_t i = 0; i < users.size(); ++i) {
    auto const& reply = replies[i];
    if (!reply || reply->elements.size() != 2) {
      out.complete = false;
      continue;
    }
    out.done.push_back(users[i]);
    if (reply->elements[0].integer == 1) {
      out.offline.push_back(users[i]);
    } else if (reply->elements[1].integer > 0) {
      out.still_online.emplace_back(users[i], reply->elements[1].integer);
    }
  }
  // Only users whose step ran leave the set: the rest stay findable for the next attempt.
  if (!out.done.empty()) {
    auto const set = keys::lease_users(layer_.prefix(), lease);
    std::vector<std::string> srem{"SREM", set};
    for (auto const user : out.done) srem.push_back(std::to_string(user));
    std::vector<std::vector<std::string>> commands{std::move(srem)};
    co_await run_plain(set, std::move(commands));
  }
  co_return out;
}

awaitable<std::optional<std::vector<std::int64_t>>>
redis_presence_store::lease_members(std::string const& lease)
{
  auto const set = keys::lease_users(layer_.prefix(), lease);
  std::vector<std::vector<std::string>> commands{{"SMEMBERS", set}};
  auto const batch = co_await layer_.run_commands(keys::routing_tag(set), std::move(commands));
  if (layer::failed(batch) || batch.replies.empty()) co_return std::nullopt;
  std::vector<std::int64_t> users;
  for (auto const& user : batch.replies[0].elements) users.push_back(to_int64(user.str));
  co_return users;
}

awaitable<sweep_reply>
redis_presence_store::sweep(core::unix_ms now, std::size_t batch, std::chrono::milliseconds ttl)
{
  sweep_reply out;
  auto const registry = keys::lease_registry(layer_.prefix());
  std::vector<std::string> claim_keys{registry, registry + ":sweeping", registry + ":expired", registry + ":sweeps"};
  std::vector<std::string> claim_args{std::to_string(now), std::to_string(batch), std::to_string(now + ttl.count())};
  auto const claimed = co_await on_tag(registry, claim_dead_, std::move(claim_keys), std::move(claim_args));
  auto const* claim = array_reply(claimed, 3);
  if (!claim) co_return out;
  out.ok = true;
  out.leases_swept = static_cast<std::size_t>(std::max<std::int64_t>(0, claim->elements[1].integer));
  out.leases_swept_total = claim->elements[2].integer;
  auto const& leases = claim->elements[0].elements;
  for (std::size_t l = 0; l + 1 < leases.size(); l += 2) {
    auto const lease = leases[l].str;
    auto const last_seen = to_int64(leases[l + 1].str) - ttl.count();
    auto const users = co_await lease_members(lease);
    if (!users) continue;  // the claim expires and this lease is swept again
    auto const released = co_await let_go(lease, *users, "settle");
    for (auto const user : released.offline) out.offline.emplace_back(user, last_seen);
    out.still_online.insert(out.still_online.end(), released.still_online.begin(), released.still_online.end());
    if (!released.complete) continue;
    auto const set = keys::lease_users(layer_.prefix(), lease);
    std::vector<std::vector<std::string>> drop{{"DEL", set}};
    co_await run_plain(set, std::move(drop));
    std::vector<std::string> finish_keys{registry + ":sweeping", registry + ":expired"};
    std::vector<std::string> finish_args{lease};
    co_await on_tag(registry, finish_claim_, std::move(finish_keys), std::move(finish_args));
  }
  co_return out;
}

awaitable<restore_reply>
redis_presence_store::restore(core::unix_ms now, std::chrono::milliseconds ttl,
                              std::unordered_map<std::int64_t, int> counts)
{
  restore_reply out;
  auto const code = co_await register_lease(now, now + ttl.count(), out.error);
  if (code < 0 || code == 2) co_return out;
  std::vector<std::int64_t> users;
  std::vector<std::string> reset_args{std::to_string(ttl.count() * lease_users_keep_ttls)};
  for (auto const& count : counts) {
    users.push_back(count.first);
    reset_args.push_back(std::to_string(count.first));
  }
  // The lease's user set first: a user must be findable by a sweep before their count is written.
  auto const set = keys::lease_users(layer_.prefix(), lease_);
  std::vector<std::string> reset_keys{set};
  auto const reset = co_await on_tag(set, reset_lease_users_, std::move(reset_keys), std::move(reset_args));
  if (layer::failed(reset) || reset.replies.empty()) {
    out.error = layer::describe_failure(reset);
    co_return out;
  }
  listed_.clear();
  listed_.insert(users.begin(), users.end());
  restore_again_ = false;
  out.ok = true;
  std::vector<std::vector<std::string>> args;
  for (auto const user : users) args.push_back({lease_, std::to_string(counts[user])});
  auto const restored = co_await per_user(restore_, users, std::move(args));
  for (std::size_t i = 0; i < users.size(); ++i) {
    auto const& reply = restored[i];
    if (!reply || reply->elements.size() != 2) {
      restore_again_ = true;  // this user's shard did not answer: the next heartbeat restores again
      continue;
    }
    if (reply->elements[0].integer == 1) out.announced.push_back(users[i]);
    out.counts.emplace_back(users[i], reply->elements[1].integer);
  }
  std::vector<std::int64_t> stale;
  for (auto const& user : reset.replies[0].elements) stale.push_back(to_int64(user.str));
  auto const released = co_await let_go(lease_, stale, "keep");
  out.dropped = released.done;
  if (!released.complete) restore_again_ = true;
  co_return out;
}

awaitable<connect_reply>
redis_presence_store::connect(std::int64_t user, core::unix_ms now, std::chrono::milliseconds ttl)
{
  connect_reply out;
  ++local_[user];
  // A refused step leaves local_ counting the socket: the service counts it all the same and
  // has the counts restored (presence::connected), and its close is reported.
  auto refuse = [&](std::string error) { out.error = std::move(error); };
  // The lease is in the registry, and the user in the lease's set, before the count: a process
  // killed after counting is always found by a sweep.
  if (!registered_) {
    std::string error;
    auto const code = co_await register_lease(now, now + ttl.count(), error);
    if (code < 0 || code == 2) {
      refuse(error);
      co_return out;
    }
  }
  if (!listed_.contains(user)) {
    auto const set = keys::lease_users(layer_.prefix(), lease_);
    std::vector<std::vector<std::string>> commands{{"SADD", set, std::to_string(user)}};
    auto const added = co_await layer_.run_commands(keys::routing_tag(set), std::move(commands));
    if (layer::failed(added)) {
      refuse(layer::describe_failure(added));
      co_return out;
    }
    listed_.insert(user);
  }
  std::vector<std::string> args{lease_};
  auto const batch = co_await on_tag(keys::user_sockets(layer_.prefix(), user), connect_,
                                     user_keys(layer_.prefix(), user), std::move(args));
  if (batch.ec) {
    out.outcome = count_outcome::unknown;
    out.error = batch.ec.message();
    co_return out;
  }
  auto const* reply = array_reply(batch, 2);
  if (!reply) {
    refuse(layer::describe_failure(batch));
    co_return out;
  }
  out.outcome = count_outcome::done;
  out.fresh = reply->elements[0].integer == 1;
  out.live = reply->elements[1].integer;
  co_return out;
}

awaitable<disconnect_reply>
redis_presence_store::disconnect(std::int64_t user, core::unix_ms)
{
  disconnect_reply out;
  if (auto it = local_.find(user); it != local_.end() && --it->second <= 0) local_.erase(it);
  auto const sockets = keys::user_sockets(layer_.prefix(), user);
  std::vector<std::string> keys{sockets};
  std::vector<std::string> args{lease_};
  auto const left = co_await on_tag(sockets, disconnect_, std::move(keys), std::move(args));
  if (left.ec) {
    out.outcome = count_outcome::unknown;
    out.error = left.ec.message();
    co_return out;
  }
  auto const* reply = array_reply(left, 2);
  if (!reply) {
    out.error = layer::describe_failure(left);
    co_return out;
  }
  out.outcome = count_outcome::done;
  out.remaining = reply->elements[0].integer;
  // This lease holds none of the user's sockets, and no socket of theirs is opening here (a
  // connect meanwhile would have counted in local_): off the lease's set. The SREM goes out
  // before any later SADD of this user, on the same connection, so the two cannot cross.
  if (reply->elements[1].integer == 0 && !local_.contains(user) && listed_.erase(user)) {
    auto const set = keys::lease_users(layer_.prefix(), lease_);
    std::vector<std::vector<std::string>> commands{{"SREM", set, std::to_string(user)}};
    co_await run_plain(set, std::move(commands));  // if lost: one extra, harmless, user for a sweep
  }
  co_return out;
}

awaitable<settle_reply>
redis_presence_store::settle(std::int64_t user, core::unix_ms)
{
  std::vector<std::string> args;
  auto const settled = co_await on_tag(keys::user_sockets(layer_.prefix(), user), settle_,
                                       user_keys(layer_.prefix(), user), std::move(args));
  settle_reply out;
  auto const* reply = array_reply(settled, 2);
  if (!reply) co_return out;
  out.ok = true;
  out.went_offline = reply->elements[0].integer == 1;
  co_return out;
}

awaitable<std::vector<settle_reply>>
redis_presence_store::settle_many(std::vector<std::int64_t> users, core::unix_ms)
{
  std::vector<std::vector<std::string>> args(users.size());
  auto const replies = co_await per_user(settle_, users, std::move(args));
  std::vector<settle_reply> out(users.size());
  for (std::size_t i = 0; i < users.size(); ++i) {
    auto const& reply = replies[i];
    if (!reply || reply->elements.size() != 2) continue;  // not ok: the user stays as the store has them
    out[i].ok = true;
    out[i].went_offline = reply->elements[0].integer == 1;
  }
  co_return out;
}

awaitable<release_reply>
redis_presence_store::release(core::unix_ms)
{
  release_reply out;
  // Users first, the lease last: a failure on the way leaves the lease to expire and be swept.
  auto const users = co_await lease_members(lease_);
  if (!users) {
    out.error = "the lease's user set could not be read";
    co_return out;
  }
  auto const released = co_await let_go(lease_, *users, "settle");
  out.offline = released.offline;
  out.still_online = released.still_online;
  if (!released.complete) {
    out.error = "some users' shards did not answer";
    co_return out;
  }
  auto const registry = keys::lease_registry(layer_.prefix());
  std::vector<std::vector<std::string>> drop{{"ZREM", registry, lease_}};
  if (!co_await run_plain(registry, std::move(drop))) {
    out.error = "the lease registry did not answer";
    co_return out;
  }
  out.ok = true;
  co_return out;
}

awaitable<std::optional<std::int64_t>>
redis_presence_store::live_count(std::int64_t user, core::unix_ms)
{
  auto const sockets = keys::user_sockets(layer_.prefix(), user);
  std::vector<std::string> keys{sockets};
  std::vector<std::string> args;
  auto const counted = co_await on_tag(sockets, live_count_, std::move(keys), std::move(args));
  if (layer::failed(counted) || counted.replies.empty()) co_return std::nullopt;
  co_return counted.replies[0].integer;
}

awaitable<std::vector<std::optional<std::int64_t>>>
redis_presence_store::live_counts(std::vector<std::int64_t> users, core::unix_ms)
{
  // (per_user hands each script both user keys; this one reads only the first.)
  std::vector<std::vector<std::string>> args(users.size());
  auto const replies = co_await per_user(live_count_, users, std::move(args));
  std::vector<std::optional<std::int64_t>> out(users.size());
  for (std::size_t i = 0; i < users.size(); ++i)
    if (replies[i] && replies[i]->type == layer::resp_value::kind::integer) out[i] = replies[i]->integer;
  co_return out;
}

awaitable<std::optional<std::vector<bool>>>
redis_presence_store::online(std::vector<std::int64_t> users)
{
  std::vector<bool> out(users.size(), false);
  std::map<std::size_t, std::vector<std::size_t>> by_shard;
  auto const& prefix = layer_.prefix();
  for (std::size_t i = 0; i < users.size(); ++i)
    by_shard[layer_.shard_of(keys::routing_tag(keys::user_online(prefix, users[i])))].push_back(i);
  for (auto it = by_shard.begin(); it != by_shard.end(); ++it) {
    auto const& indices = it->second;
    std::vector<std::vector<std::string>> commands;
    for (auto const i : indices) commands.push_back({"EXISTS", keys::user_online(prefix, users[i])});
    auto const first_key = keys::user_online(prefix, users[indices.front()]);
    auto const batch = co_await layer_.run_commands(keys::routing_tag(first_key), std::move(commands));
    if (layer::failed(batch) || batch.replies.size() != indices.size()) co_return std::nullopt;
    for (std::size_t j = 0; j < indices.size(); ++j) out[indices[j]] = batch.replies[j].integer == 1;
  }
  co_return out;
}

}  // namespace tandem::service
