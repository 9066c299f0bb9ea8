// Script arguments in, typed replies out. A transport failure (timeout, reset) is "unknown"
// (the script may have run); an error reply (-OOM, -NOPERM) or a malformed reply is "refused".
#include "service/adapters/redis_presence_store.hpp"

#include <algorithm>

#include "core/decimal.hpp"
#include "service/adapters/presence_scripts.hpp"

namespace tandem::service {

namespace {

using core::to_int64;

/// Every key of presence lives on the shard this name hashes to: scripts touch several keys.
constexpr std::string_view routing_key = "tandem.presence";

/// The first reply, when the batch succeeded and it is an array of `size` elements.
layer::resp_value const*
array_reply(layer::resp_batch const& batch, std::size_t size)
{
  if (layer::failed(batch) || batch.replies.empty() || batch.replies[0].elements.size() != size) return nullptr;
  return &batch.replies[0];
}

}  // namespace

std::string
redis_presence_store::key_prefix() const
{
  return layer_.prefix() + "tandem:presence:";
}

awaitable<layer::resp_batch>
redis_presence_store::eval(std::string_view script, std::vector<std::string> args)
{
  std::vector<std::string> command{"EVAL", std::string{script}, "0"};
  command.insert(command.end(), std::make_move_iterator(args.begin()), std::make_move_iterator(args.end()));
  std::vector<std::vector<std::string>> commands{std::move(command)};
  co_return co_await layer_.run_commands(routing_key, std::move(commands));
}

awaitable<lease_reply>
redis_presence_store::renew_lease(core::unix_ms now, std::chrono::milliseconds ttl)
{
  // (GCC 12 miscompiles braced lists inside a co_await expression: arguments are built first.)
  std::vector<std::string> args{key_prefix(), layer_.client_prefix(), std::to_string(now + ttl.count()),
                                std::to_string(ttl.count() * 4)};
  auto const renewed = co_await eval(scripts::heartbeat, std::move(args));
  lease_reply out;
  auto const* reply = array_reply(renewed, 2);
  if (!reply) {
    out.error = layer::describe_failure(renewed);
    co_return out;
  }
  out.ok = true;
  out.lease_was_lost = reply->elements[0].integer == 1;
  out.leases_swept_total = reply->elements[1].integer;
  co_return out;
}

awaitable<sweep_reply>
redis_presence_store::sweep(core::unix_ms now, std::size_t batch, std::chrono::milliseconds ttl)
{
  std::vector<std::string> args{key_prefix(), std::to_string(now), std::to_string(batch), std::to_string(ttl.count())};
  auto const swept = co_await eval(scripts::sweep, std::move(args));
  sweep_reply out;
  auto const* reply = array_reply(swept, 4);
  if (!reply) co_return out;
  out.ok = true;
  out.leases_swept = static_cast<std::size_t>(std::max<std::int64_t>(0, reply->elements[2].integer));
  out.leases_swept_total = reply->elements[3].integer;
  auto const& gone = reply->elements[0].elements;
  for (std::size_t i = 0; i + 1 < gone.size(); i += 2) out.offline.emplace_back(to_int64(gone[i].str), to_int64(gone[i + 1].str));
  auto const& still = reply->elements[1].elements;
  for (std::size_t i = 0; i + 1 < still.size(); i += 2) out.still_online.emplace_back(to_int64(still[i].str), still[i + 1].integer);
  co_return out;
}

awaitable<restore_reply>
redis_presence_store::restore(core::unix_ms now, std::chrono::milliseconds ttl, std::unordered_map<std::int64_t, int> counts)
{
  std::vector<std::string> args{key_prefix(), layer_.client_prefix(), std::to_string(now + ttl.count()),
                                std::to_string(ttl.count() * 4), std::to_string(now)};
  for (auto const& count : counts) {
    args.push_back(std::to_string(count.first));
    args.push_back(std::to_string(count.second));
  }
  auto const restored = co_await eval(scripts::restore, std::move(args));
  restore_reply out;
  auto const* reply = array_reply(restored, 3);
  if (!reply) {
    out.error = layer::describe_failure(restored);
    co_return out;
  }
  out.ok = true;
  for (auto const& user : reply->elements[0].elements) out.announced.push_back(to_int64(user.str));
  for (auto const& user : reply->elements[1].elements) out.dropped.push_back(to_int64(user.str));
  auto const& live = reply->elements[2].elements;
  for (std::size_t i = 0; i + 1 < live.size(); i += 2) out.counts.emplace_back(to_int64(live[i].str), live[i + 1].integer);
  co_return out;
}

awaitable<connect_reply>
redis_presence_store::connect(std::int64_t user, core::unix_ms now, std::chrono::milliseconds ttl)
{
  std::vector<std::string> args{key_prefix(), std::to_string(user), layer_.client_prefix(), std::to_string(now),
                                std::to_string(now + ttl.count())};
  auto const batch = co_await eval(scripts::connect, std::move(args));
  connect_reply out;
  if (batch.ec) {
    out.outcome = count_outcome::unknown;
    out.error = batch.ec.message();
    co_return out;
  }
  auto const* reply = array_reply(batch, 2);
  if (!reply) {
    out.error = layer::describe_failure(batch);
    co_return out;
  }
  out.outcome = count_outcome::done;
  out.fresh = reply->elements[0].integer == 1;
  out.live = reply->elements[1].integer;
  co_return out;
}

awaitable<disconnect_reply>
redis_presence_store::disconnect(std::int64_t user, core::unix_ms closed_at)
{
  std::vector<std::string> args{key_prefix(), std::to_string(user), layer_.client_prefix(), std::to_string(closed_at)};
  auto const left = co_await eval(scripts::disconnect, std::move(args));
  disconnect_reply out;
  if (left.ec) {
    out.outcome = count_outcome::unknown;
    out.error = left.ec.message();
  } else if (layer::failed(left) || left.replies.empty()) {
    out.error = layer::describe_failure(left);
  } else {
    out.outcome = count_outcome::done;
    out.remaining = left.replies[0].integer;
  }
  co_return out;
}

awaitable<settle_reply>
redis_presence_store::settle(std::int64_t user, core::unix_ms now)
{
  std::vector<std::string> args{key_prefix(), std::to_string(user), std::to_string(now)};
  auto const settled = co_await eval(scripts::settle, std::move(args));
  settle_reply out;
  auto const* reply = array_reply(settled, 2);
  if (!reply) co_return out;
  out.ok = true;
  out.went_offline = reply->elements[0].integer == 1;
  co_return out;
}

awaitable<release_reply>
redis_presence_store::release(core::unix_ms now)
{
  std::vector<std::string> args{key_prefix(), layer_.client_prefix(), std::to_string(now)};
  auto const released = co_await eval(scripts::release, std::move(args));
  release_reply out;
  if (layer::failed(released) || released.replies.empty()) {
    out.error = layer::describe_failure(released);
    co_return out;
  }
  out.ok = true;
  for (auto const& user : released.replies[0].elements) out.offline.push_back(to_int64(user.str));
  co_return out;
}

awaitable<std::optional<std::int64_t>>
redis_presence_store::live_count(std::int64_t user, core::unix_ms now)
{
  std::vector<std::string> args{key_prefix(), std::to_string(user), std::to_string(now)};
  auto const counted = co_await eval(scripts::live_count, std::move(args));
  if (layer::failed(counted) || counted.replies.empty()) co_return std::nullopt;
  co_return counted.replies[0].integer;
}

awaitable<std::optional<std::vector<bool>>>
redis_presence_store::online(std::vector<std::int64_t> users)
{
  std::vector<std::string> command{"SMISMEMBER", key_prefix() + "online"};
  for (auto const user : users) command.push_back(std::to_string(user));
  std::vector<std::vector<std::string>> commands{std::move(command)};
  auto const batch = co_await layer_.run_commands(routing_key, std::move(commands));
  if (batch.ec || batch.replies.empty() || batch.replies[0].elements.size() != users.size()) co_return std::nullopt;
  std::vector<bool> out;
  for (auto const& reply : batch.replies[0].elements) out.push_back(reply.integer == 1);
  co_return out;
}

}  // namespace tandem::service
