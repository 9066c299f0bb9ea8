// Presence steps. Redis decides (scripts), PostgreSQL records (status row), the layer tells
// (user groups). A Redis failure leaves presence as it was rather than announcing a guess.
#include "service/presence.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <map>

#include "asio/supervised_spawn.hpp"
#include "core/decimal.hpp"
#include "core/privacy.hpp"
#include "protocol/presence_frames.hpp"
#include "service/presence_keys.hpp"
#include "service/presence_scripts.hpp"

namespace tandem::service {

namespace {

using core::to_int64;

layer::resp_value
missing_reply(std::string text)
{
  layer::resp_value v;
  v.type = layer::resp_value::kind::error;
  v.str = std::move(text);
  return v;
}

/// A two-element script reply {flag, count}, or nullptr when the script did not answer so.
layer::resp_value const*
pair_reply(layer::resp_value const& reply)
{
  return reply.type == layer::resp_value::kind::array && reply.elements.size() == 2 ? &reply : nullptr;
}

}  // namespace

core::unix_ms
wall_ms()
{
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

presence::presence(asio::any_io_executor executor, layer::channel_layer& layer, store::presence_tables& tables,
                   presence_settings const& settings, messaging_settings const& groups, ops::thread_metrics& metrics)
    : executor_{executor},
      layer_{layer},
      tables_{tables},
      settings_{settings},
      groups_{groups},
      metrics_{metrics},
      heartbeat_timer_{executor}
{
}

std::string const&
presence::lease() const
{
  return layer_.client_prefix();
}

presence::keyed_command
presence::script_call(std::string_view script, std::vector<std::string> slot_keys, std::vector<std::string> args,
                      bool live_tail) const
{
  keyed_command out;
  out.routing = std::string{keys::routing_tag(slot_keys.front())};
  out.command = {"EVAL", std::string{script}, std::to_string(slot_keys.size())};
  out.command.insert(out.command.end(), std::make_move_iterator(slot_keys.begin()),
                     std::make_move_iterator(slot_keys.end()));
  out.command.insert(out.command.end(), std::make_move_iterator(args.begin()), std::make_move_iterator(args.end()));
  if (live_tail) {
    // The registry as of the last heartbeat, and this worker's own lease even before its
    // first heartbeat lands: its sockets are alive by definition.
    out.command.insert(out.command.end(), live_leases_.begin(), live_leases_.end());
    if (std::find(live_leases_.begin(), live_leases_.end(), lease()) == live_leases_.end())
      out.command.push_back(lease());
  }
  return out;
}

presence::keyed_command
presence::user_call(std::string_view script, std::int64_t user, std::vector<std::string> args) const
{
  auto const& p = layer_.prefix();
  return script_call(script, {keys::user_sockets(p, user), keys::user_online(p, user)}, std::move(args), true);
}

awaitable<layer::resp_batch>
presence::run(keyed_command call)
{
  std::vector<std::vector<std::string>> commands{std::move(call.command)};
  co_return co_await layer_.run_commands(call.routing, std::move(commands));
}

awaitable<std::vector<layer::resp_value>>
presence::run_grouped(std::vector<keyed_command> calls)
{
  // One pipeline per shard rather than one round trip per user: a restore or a snapshot may
  // name thousands of users, spread over every shard.
  std::vector<layer::resp_value> replies(calls.size());
  std::map<std::size_t, std::vector<std::size_t>> by_shard;
  for (std::size_t i = 0; i < calls.size(); ++i) by_shard[layer_.shard_of(calls[i].routing)].push_back(i);
  for (auto const& [shard, indexes] : by_shard) {
    std::vector<std::vector<std::string>> commands;
    commands.reserve(indexes.size());
    for (auto const i : indexes) commands.push_back(std::move(calls[i].command));
    auto const routing = calls[indexes.front()].routing;
    auto batch = co_await layer_.run_commands(routing, std::move(commands));
    for (std::size_t k = 0; k < indexes.size(); ++k)
      replies[indexes[k]] = batch.ec || k >= batch.replies.size() ? missing_reply(batch.ec.message())
                                                                  : std::move(batch.replies[k]);
  }
  co_return replies;
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
    auto const now = wall_ms();
    auto const ttl = settings_.lease_ttl.count();
    auto const& p = layer_.prefix();
    // (GCC 12 miscompiles braced lists inside a co_await expression: arguments are built first.)
    auto renew = script_call(scripts::heartbeat, {keys::lease_registry(p)},
                             {lease(), std::to_string(now + ttl), std::to_string(now)}, false);
    auto const renewed = co_await run(std::move(renew));
    bool const renew_failed = layer::failed(renewed) || renewed.replies.empty() || !pair_reply(renewed.replies[0]);
    if (renew_failed) {
      spdlog::warn("event=presence_heartbeat_failed error=\"{}\"", layer::describe_failure(renewed));
    } else {
      lease_registered_ = true;
      live_leases_.clear();
      for (auto const& alive : renewed.replies[0].elements[1].elements) live_leases_.push_back(alive.str);
      // The lease's user set outlives the lease long enough for a sweep to find its users.
      auto const users_key = keys::lease_users(p, lease());
      std::vector<std::vector<std::string>> keep{{"PEXPIRE", users_key, std::to_string(ttl * 4)}};
      co_await layer_.run_commands(keys::routing_tag(users_key), std::move(keep));
      bool const lost = renewed.replies[0].elements[0].integer == 1;
      if ((lost && !local_counts_.empty()) || restore_needed_) {
        // The lease was gone or had expired (Redis restarted empty, or we were cut off long
        // enough for others to stop counting us), or a count change may have been lost.
        spdlog::warn("event=presence_restore_due users={} lease_lost={}", local_counts_.size(), lost);
        co_await restore_counts();
      }
    }
    // Any worker may find a dead lease; the registry hands each to exactly one of them.
    auto claim = script_call(scripts::claim_dead, {keys::lease_registry(p)},
                             {std::to_string(now), std::to_string(settings_.sweep_batch)}, false);
    auto const claimed = co_await run(std::move(claim));
    if (!layer::failed(claimed) && !claimed.replies.empty()) {
      auto const dead = claimed.replies[0].elements;
      for (std::size_t i = 0; i + 1 < dead.size(); i += 2) {
        auto const expired_at = static_cast<core::unix_ms>(std::strtod(dead[i + 1].str.c_str(), nullptr));
        spdlog::info("event=presence_lease_expired lease={}", dead[i].str);
        co_await drop_lease(dead[i].str, expired_at - ttl);
      }
    }
    // After a failed renewal, try again sooner: the lease must not run out while Redis is back.
    heartbeat_timer_.expires_after(renew_failed ? settings_.heartbeat / 8 : settings_.heartbeat / 2);
    error_code ec;
    co_await heartbeat_timer_.async_wait(as_value(ec));
  }
}

awaitable<void>
presence::drop_lease(std::string dead_lease, core::unix_ms last_seen)
{
  auto const users_key = keys::lease_users(layer_.prefix(), dead_lease);
  std::vector<std::vector<std::string>> take{{"SMEMBERS", users_key}, {"DEL", users_key}};
  auto const taken = co_await layer_.run_commands(keys::routing_tag(users_key), std::move(take));
  if (layer::failed(taken) || taken.replies.empty()) {
    // Its users' sockets are no longer counted (the lease is out of the registry), but their
    // online flags stay until they next connect and leave.
    spdlog::warn("event=presence_lease_drop_failed lease={} error=\"{}\"", dead_lease, layer::describe_failure(taken));
    co_return;
  }
  std::vector<std::int64_t> users;
  std::vector<keyed_command> calls;
  for (auto const& member : taken.replies[0].elements) {
    users.push_back(to_int64(member.str));
    calls.push_back(user_call(scripts::leave, users.back(), {dead_lease}));
  }
  auto const replies = co_await run_grouped(std::move(calls));
  for (std::size_t i = 0; i < users.size(); ++i) {
    auto const* reply = pair_reply(replies[i]);
    if (!reply) continue;
    if (reply->elements[0].integer == 1) {
      spdlog::info("event=presence_lease_left user={}", users[i]);
      co_await went_offline(users[i], last_seen);
    } else if (reply->elements[1].integer > 0) {
      // Still connected elsewhere: the status row counts fewer sockets now.
      co_await tables_.write_status(users[i], true, reply->elements[1].integer, std::nullopt);
    }
  }
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
  auto const& p = layer_.prefix();
  auto const users_key = keys::lease_users(p, lease());
  auto const users_routing = std::string{keys::routing_tag(users_key)};
  // The lease's user set becomes exactly this worker's users; who was on it and is not any
  // more gets settled like a close.
  std::vector<std::vector<std::string>> listing{{"SMEMBERS", users_key}};
  auto const listed = co_await layer_.run_commands(users_routing, std::move(listing));
  std::vector<std::string> reset{"SADD", users_key};
  for (auto const& [user, count] : local_counts_) reset.push_back(std::to_string(user));
  std::vector<std::vector<std::string>> rewrite{{"DEL", users_key}};
  if (reset.size() > 2) rewrite.push_back(std::move(reset));
  rewrite.push_back({"PEXPIRE", users_key, std::to_string(settings_.lease_ttl.count() * 4)});
  auto const rewritten = co_await layer_.run_commands(users_routing, std::move(rewrite));
  if (layer::failed(listed) || listed.replies.empty() || layer::failed(rewritten)) {
    restoring_ = false;
    restore_needed_ = true;
    spdlog::warn("event=presence_restore_failed error=\"{}\"",
                 layer::describe_failure(layer::failed(listed) ? listed : rewritten));
    co_return;
  }
  // Each user's count is read from local_counts_ when its shard's pipeline is built, so a
  // connect counted meanwhile is included (Redis runs a user's commands in the order sent).
  std::map<std::size_t, std::vector<std::int64_t>> by_shard;
  for (auto const& [user, count] : local_counts_)
    by_shard[layer_.shard_of(keys::routing_tag(keys::user_sockets(p, user)))].push_back(user);
  std::vector<std::int64_t> announced, dropped;
  std::size_t restored_users = 0;
  bool failed_any = false;
  for (auto const& [shard, users] : by_shard) {
    std::vector<keyed_command> calls;
    std::vector<std::int64_t> sent;
    for (auto const user : users) {
      auto const it = local_counts_.find(user);
      if (it == local_counts_.end()) continue;
      calls.push_back(user_call(scripts::restore, user, {lease(), std::to_string(it->second)}));
      sent.push_back(user);
    }
    auto const replies = co_await run_grouped(std::move(calls));
    for (std::size_t i = 0; i < sent.size(); ++i) {
      auto const* reply = pair_reply(replies[i]);
      if (!reply) {
        failed_any = true;
        continue;
      }
      ++restored_users;
      co_await tables_.write_status(sent[i], true, reply->elements[1].integer, std::nullopt);
      if (reply->elements[0].integer == 1) announced.push_back(sent[i]);
    }
  }
  for (auto const& member : listed.replies[0].elements) {
    auto const user = to_int64(member.str);
    if (!local_counts_.contains(user)) dropped.push_back(user);
  }
  std::vector<keyed_command> forget;
  for (auto const user : dropped) {
    auto const sockets = keys::user_sockets(p, user);
    forget.push_back({std::string{keys::routing_tag(sockets)}, {"HDEL", sockets, lease()}});
  }
  co_await run_grouped(std::move(forget));
  restoring_ = false;
  if (failed_any) restore_needed_ = true;
  spdlog::info("event=presence_restored users={} announced={} dropped={}", restored_users, announced.size(),
               dropped.size());
  // Users Redis counted on this lease but this worker has no socket of: settle them as a close.
  for (auto const user : dropped) spawn(executor_, "presence_settle", settle_later(user, wall_ms(), false));
  for (auto const user : announced) {
    auto const audience = co_await tables_.contacts_of(user, 0);
    if (audience.status == store::store_status::ok) co_await announce(user, true, std::nullopt, audience);
  }
}

awaitable<void>
presence::release()
{
  // From here on this worker's counts are going away: the heartbeat must not restore them.
  stopped_ = true;
  heartbeat_timer_.cancel();
  local_counts_.clear();
  auto const now = wall_ms();
  // Users in their grace period: settle them now, this process will not be there to do it.
  auto const settling = std::move(settling_);
  settling_.clear();
  std::vector<std::int64_t> waiting{settling.begin(), settling.end()};
  std::vector<keyed_command> calls;
  for (auto const user : waiting) calls.push_back(user_call(scripts::settle, user, {}));
  auto const settled = co_await run_grouped(std::move(calls));
  for (std::size_t i = 0; i < waiting.size(); ++i) {
    auto const* reply = pair_reply(settled[i]);
    if (reply && reply->elements[0].integer == 1) co_await went_offline(waiting[i], now);
  }
  // Out of the registry first: from then on no process counts this lease's sockets.
  auto const registry = keys::lease_registry(layer_.prefix());
  std::vector<std::vector<std::string>> unregister{{"ZREM", registry, lease()}};
  auto const removed = co_await layer_.run_commands(keys::routing_tag(registry), std::move(unregister));
  if (layer::failed(removed)) {
    spdlog::warn("event=presence_release_failed error=\"{}\"", layer::describe_failure(removed));
    co_return;  // the lease expires on its own and another process sweeps it
  }
  std::erase(live_leases_, lease());
  co_await drop_lease(lease(), now);
}

awaitable<connect_outcome>
presence::connected(std::int64_t user, std::optional<std::int64_t> chat, int utc_offset_minutes)
{
  connect_outcome out;
  // Counted here, before anything is sent, so a restore running meanwhile writes back a count
  // that already includes this socket (Redis runs a user's commands in the order sent).
  ++local_counts_[user];
  settling_.erase(user);
  if (!lease_registered_) {
    // Before the first heartbeat lands (Redis was not reachable yet at start): a socket
    // counted on a lease missing from the registry would never be swept after a kill -9.
    auto const registry = keys::lease_registry(layer_.prefix());
    std::vector<std::vector<std::string>> enlist{
        {"ZADD", registry, std::to_string(wall_ms() + settings_.lease_ttl.count()), lease()}};
    auto const enlisted = co_await layer_.run_commands(keys::routing_tag(registry), std::move(enlist));
    if (!layer::failed(enlisted)) lease_registered_ = true;
  }
  // On the lease's user set first: if this process dies after counting the socket, the sweep
  // of its lease must find the user.
  auto const users_key = keys::lease_users(layer_.prefix(), lease());
  std::vector<std::vector<std::string>> note{{"SADD", users_key, std::to_string(user)}};
  auto const noted = co_await layer_.run_commands(keys::routing_tag(users_key), std::move(note));
  if (layer::failed(noted)) restore_needed_ = true;
  auto count = user_call(scripts::connect, user, {lease()});
  auto const batch = co_await run(std::move(count));
  if (batch.ec) {
    // Unknown whether Redis ran it (a timeout, a reset): count the socket, and let the next
    // heartbeat write this worker's true counts back.
    out.counted = true;
    restore_needed_ = true;
    spdlog::warn("event=presence_connect_failed user={} error=\"{}\" action=restore", user, batch.ec.message());
    co_return out;
  }
  if (layer::failed(batch) || batch.replies.empty() || !pair_reply(batch.replies[0])) {
    // Refused (-OOM, -NOPERM): not counted, so this socket's close takes no one's count down.
    if (auto it = local_counts_.find(user); it != local_counts_.end() && --it->second <= 0) local_counts_.erase(it);
    spdlog::warn("event=presence_connect_failed user={} error=\"{}\"", user, layer::describe_failure(batch));
    co_return out;
  }
  out.counted = true;
  auto const fresh = batch.replies[0].elements[0].integer == 1;
  auto const live = batch.replies[0].elements[1].integer;
  co_await tables_.write_status(user, true, live, std::nullopt);
  auto const contacts = co_await tables_.contacts_of(user, chat.value_or(0));
  if (contacts.status != store::store_status::ok) {
    spdlog::warn("event=presence_audience_failed user={} error=\"{}\"", user, contacts.error);
    co_return out;
  }
  if (fresh) co_await announce(user, true, std::nullopt, contacts);
  out.frame = co_await snapshot(contacts, chat, utc_offset_minutes);
  co_return out;
}

void
presence::disconnected(std::int64_t user)
{
  if (auto it = local_counts_.find(user); it != local_counts_.end() && --it->second <= 0) local_counts_.erase(it);
  spawn(executor_, "presence_settle", settle_later(user, wall_ms(), true));
}

awaitable<void>
presence::settle_later(std::int64_t user, core::unix_ms closed_at, bool uncount)
{
  if (uncount) {
    auto uncount_call = user_call(scripts::disconnect, user, {lease()});
    auto const left = co_await run(std::move(uncount_call));
    if (left.ec) restore_needed_ = true;  // unknown whether it ran: write the true counts back
    auto const* reply = layer::failed(left) || left.replies.empty() ? nullptr : pair_reply(left.replies[0]);
    // No socket of the user left here (and none opened since): off the lease's user set.
    if (reply && reply->elements[1].integer <= 0 && !local_counts_.contains(user)) {
      auto const users_key = keys::lease_users(layer_.prefix(), lease());
      std::vector<std::vector<std::string>> off{{"SREM", users_key, std::to_string(user)}};
      co_await layer_.run_commands(keys::routing_tag(users_key), std::move(off));
    }
    if (reply && reply->elements[0].integer > 0) {
      co_await tables_.write_status(user, true, reply->elements[0].integer, std::nullopt);
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
  auto settle_call = user_call(scripts::settle, user, {});
  auto const settled = co_await run(std::move(settle_call));
  if (settled.ec || settled.replies.empty() || !pair_reply(settled.replies[0])) co_return;
  if (settled.replies[0].elements[0].integer == 1) co_await went_offline(user, closed_at);
}

awaitable<void>
presence::went_offline(std::int64_t user, core::unix_ms last_seen)
{
  co_await tables_.write_status(user, false, 0, last_seen);
  auto const audience = co_await tables_.contacts_of(user, 0);
  if (audience.status != store::store_status::ok) {
    spdlog::warn("event=presence_audience_failed user={} error=\"{}\"", user, audience.error);
    co_return;
  }
  co_await announce(user, false, last_seen, audience);
}

awaitable<void>
presence::announce(std::int64_t user, bool online, std::optional<core::unix_ms> last_seen,
                   store::contact_list const& audience)
{
  metrics_.presence_changes.fetch_add(1, std::memory_order_relaxed);
  protocol::presence_entry const entry{user, online, last_seen, false};
  auto const event = protocol::presence_event(entry);
  for (auto const& viewer : audience.contacts) {
    if (!core::may_see_presence(audience.own_visibility, viewer.visibility, viewer.direct, false)) continue;
    co_await layer_.group_send(groups_.user_group_prefix + std::to_string(viewer.user_id), event);
  }
  spdlog::info("event=presence_changed user={} online={}", user, online);
}

awaitable<std::optional<std::string>>
presence::snapshot(store::contact_list const& contacts, std::optional<std::int64_t> chat, int utc_offset_minutes)
{
  std::vector<protocol::presence_entry> entries;
  std::vector<keyed_command> calls;
  for (auto const& c : contacts.contacts) {
    if (chat && !c.in_chat) continue;
    if (!core::may_see_presence(c.visibility, contacts.own_visibility, c.direct, false)) continue;
    entries.push_back({c.user_id, false, c.last_seen, false});
    auto online = keys::user_online(layer_.prefix(), c.user_id);
    auto routing = std::string{keys::routing_tag(online)};
    calls.push_back({std::move(routing), {"EXISTS", std::move(online)}});
  }
  // Sent even when empty: the frame after hello is always the snapshot, so clients (and tests)
  // know the opening state is complete.
  if (entries.empty()) co_return protocol::presence_frame(entries, wall_ms(), utc_offset_minutes);
  auto const replies = co_await run_grouped(std::move(calls));
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (replies[i].type != layer::resp_value::kind::integer) co_return std::nullopt;  // the stores cannot say
    entries[i].online = replies[i].integer == 1;
  }
  co_return protocol::presence_frame(entries, wall_ms(), utc_offset_minutes);
}

}  // namespace tandem::service
