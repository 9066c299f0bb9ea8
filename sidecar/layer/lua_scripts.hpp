// The Lua scripts the layer runs with EVALSHA. Each keeps channels_redis's semantics (trim
// expired messages, refuse when at capacity, ZADD with the float time, EXPIRE) but does the
// whole operation in one atomic round trip instead of four separate commands.
#pragma once

#include <string_view>

namespace tandem::layer::lua {

/// KEYS[1] = queue key. ARGV = payload, capacity, now (float seconds), expiry (s),
/// trim_before (int seconds). Returns 0 when queued, 1 when the channel is full.
inline constexpr std::string_view send = R"lua(
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, ARGV[5])
if redis.call('ZCOUNT', KEYS[1], '-inf', '+inf') >= tonumber(ARGV[2]) then
  return 1
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 0
)lua";

/// KEYS = N queue keys of one shard. ARGV = N payloads, N capacities, now, expiry, trim_before.
/// Returns the 1-based indexes of the keys that were at capacity: nothing was written to them,
/// and the caller keeps those messages until the queue has room (channels_redis drops them).
inline constexpr std::string_view group_send = R"lua(
local n = #KEYS
local now, expiry, trim_before = ARGV[2 * n + 1], ARGV[2 * n + 2], ARGV[2 * n + 3]
local full = {}
for i = 1, n do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, trim_before)
  if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[n + i]) then
    redis.call('ZADD', KEYS[i], now, ARGV[i])
    redis.call('EXPIRE', KEYS[i], expiry)
  else
    full[#full + 1] = i
  end
end
return full
)lua";

/// KEYS[1] = queue key. ARGV = N payloads, N scores, capacity, expiry, trim_before. Adds the
/// payloads in order, each with its own score (its original send time), while the queue has
/// room; returns {how many were added, room left}. N may be 0: a probe that only asks for the
/// room, so a full queue's retry carries no payloads. How the layer writes the messages it holds.
inline constexpr std::string_view send_in_order = R"lua(
local n = (#ARGV - 3) / 2
local capacity, expiry, trim_before = tonumber(ARGV[2 * n + 1]), ARGV[2 * n + 2], ARGV[2 * n + 3]
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, trim_before)
local room = capacity - redis.call('ZCOUNT', KEYS[1], '-inf', '+inf')
local added = 0
while added < n and added < room do
  added = added + 1
  redis.call('ZADD', KEYS[1], ARGV[n + added], ARGV[added])
end
if added > 0 then
  redis.call('EXPIRE', KEYS[1], expiry)
end
return {added, room - added}
)lua";

/// KEYS[1] = group key. ARGV = trim_before. Drops memberships older than group_expiry and
/// returns the remaining member channel names in score order.
inline constexpr std::string_view group_members = R"lua(
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, -1)
)lua";

/// ARGV[1] = key prefix. Deletes every key starting with it (tests and `flush` only: KEYS
/// blocks Redis, as channels_redis's flush does).
inline constexpr std::string_view flush = R"lua(
local keys = redis.call('KEYS', ARGV[1] .. '*')
for i = 1, #keys, 5000 do
  redis.call('DEL', unpack(keys, i, math.min(i + 4999, #keys)))
end
return #keys
)lua";

}  // namespace tandem::layer::lua
