// Presence state in Redis, changed only by these scripts so every step is atomic across
// sidecar processes. Keys (under P = <layer prefix>tandem:presence:):
//   P leases        ZSET lease → expiry (ms): a lease is one sidecar worker, alive while renewed
//   P user:<u>      HASH lease → that lease's open sockets of user u
//   P lease:<l>     SET  users with sockets on lease l (so a dead lease's users can be found)
//   P online        SET  users announced online: SADD/SREM returning 1 decides, exactly once,
//                        which process announces a change
// A user's live sockets are the counts of the leases still alive; a lease that stops being
// renewed (kill -9) is swept by any surviving process.
#pragma once

#include <string_view>

namespace tandem::service::scripts {

// Shared by the scripts that count: sums a user's sockets on live leases, forgetting dead ones.
#define TANDEM_LIVE_COUNT                                                                    \
  "local function live(p, user, now)\n"                                                     \
  "  local key = p .. 'user:' .. user\n"                                                     \
  "  local fields = redis.call('HGETALL', key)\n"                                            \
  "  local total = 0\n"                                                                      \
  "  for i = 1, #fields, 2 do\n"                                                             \
  "    local alive = redis.call('ZSCORE', p .. 'leases', fields[i])\n"                       \
  "    if alive and tonumber(alive) > now then total = total + tonumber(fields[i + 1])\n"    \
  "    else redis.call('HDEL', key, fields[i]) end\n"                                        \
  "  end\n"                                                                                  \
  "  return total\n"                                                                         \
  "end\n"

/// ARGV: P, user, lease, now, expiry → {1 if the user just came online, live sockets}.
inline constexpr std::string_view connect = TANDEM_LIVE_COUNT
    "local p, user, lease, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])\n"
    "redis.call('ZADD', p .. 'leases', ARGV[5], lease)\n"
    "redis.call('HINCRBY', p .. 'user:' .. user, lease, 1)\n"
    "redis.call('SADD', p .. 'lease:' .. lease, user)\n"
    "local fresh = redis.call('SADD', p .. 'online', user)\n"
    "return {fresh, live(p, user, now)}\n";

/// ARGV: P, user, lease, now → live sockets left.
inline constexpr std::string_view disconnect = TANDEM_LIVE_COUNT
    "local p, user, lease, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])\n"
    "local key = p .. 'user:' .. user\n"
    "if redis.call('HINCRBY', key, lease, -1) <= 0 then\n"
    "  redis.call('HDEL', key, lease)\n"
    "  redis.call('SREM', p .. 'lease:' .. lease, user)\n"
    "end\n"
    "return live(p, user, now)\n";

/// ARGV: P, user, now → live sockets (changes nothing but forgetting dead leases' counts).
inline constexpr std::string_view live_count = TANDEM_LIVE_COUNT
    "return live(ARGV[1], ARGV[2], tonumber(ARGV[3]))\n";

/// After the grace period. ARGV: P, user, now → {1 if the user just went offline, live sockets}.
inline constexpr std::string_view settle = TANDEM_LIVE_COUNT
    "local p, user, now = ARGV[1], ARGV[2], tonumber(ARGV[3])\n"
    "local count = live(p, user, now)\n"
    "if count > 0 then return {0, count} end\n"
    "return {redis.call('SREM', p .. 'online', user), 0}\n";

/// ARGV: P, lease, expiry, keep_ms → {missing, sweeps}: missing is 1 if the lease was gone
/// (Redis lost it, or another process swept it after missed heartbeats: the caller then
/// restores its sockets' counts); sweeps counts the dead leases any process swept so far.
inline constexpr std::string_view heartbeat =
    "local missing = redis.call('ZADD', ARGV[1] .. 'leases', ARGV[3], ARGV[2])\n"
    "redis.call('PEXPIRE', ARGV[1] .. 'lease:' .. ARGV[2], ARGV[4])\n"
    "return {missing, tonumber(redis.call('GET', ARGV[1] .. 'sweeps') or '0')}\n";

/// Makes a lease's counts exactly what the worker knows (idempotent: sets, never adds; users
/// no longer on the lease are removed from it). ARGV: P, lease, expiry, keep_ms, now, user,
/// count, user, count, ... → {users that were not online (to announce), users removed (to
/// settle), {user, live sockets on every lease, ...} (for their status rows)}.
inline constexpr std::string_view restore = TANDEM_LIVE_COUNT
    "local p, lease, now = ARGV[1], ARGV[2], tonumber(ARGV[5])\n"
    "redis.call('ZADD', p .. 'leases', ARGV[3], lease)\n"
    "local keep, fresh, dropped, counts = {}, {}, {}, {}\n"
    "for i = 6, #ARGV, 2 do\n"
    "  local user = ARGV[i]\n"
    "  keep[user] = true\n"
    "  redis.call('HSET', p .. 'user:' .. user, lease, ARGV[i + 1])\n"
    "  redis.call('SADD', p .. 'lease:' .. lease, user)\n"
    "  if redis.call('SADD', p .. 'online', user) == 1 then table.insert(fresh, user) end\n"
    "end\n"
    "for _, user in ipairs(redis.call('SMEMBERS', p .. 'lease:' .. lease)) do\n"
    "  if not keep[user] then\n"
    "    redis.call('HDEL', p .. 'user:' .. user, lease)\n"
    "    redis.call('SREM', p .. 'lease:' .. lease, user)\n"
    "    table.insert(dropped, user)\n"
    "  end\n"
    "end\n"
    "redis.call('PEXPIRE', p .. 'lease:' .. lease, ARGV[4])\n"
    "for user in pairs(keep) do\n"
    "  table.insert(counts, user)\n"
    "  table.insert(counts, live(p, user, now))\n"
    "end\n"
    "return {fresh, dropped, counts}\n";

/// At exit: the lease is dropped at once rather than left to expire, so its users are settled
/// now, not a lease's time to live later. ARGV: P, lease, now → users who went offline.
inline constexpr std::string_view release = TANDEM_LIVE_COUNT
    "local p, lease, now = ARGV[1], ARGV[2], tonumber(ARGV[3])\n"
    "redis.call('ZREM', p .. 'leases', lease)\n"
    "local users = redis.call('SMEMBERS', p .. 'lease:' .. lease)\n"
    "redis.call('DEL', p .. 'lease:' .. lease)\n"
    "local out = {}\n"
    "for _, user in ipairs(users) do\n"
    "  redis.call('HDEL', p .. 'user:' .. user, lease)\n"
    "  if live(p, user, now) == 0 and redis.call('SREM', p .. 'online', user) == 1 then\n"
    "    table.insert(out, user)\n"
    "  end\n"
    "end\n"
    "return out\n";

/// ARGV: P, now, limit, ttl → {{user, last_seen, ...}, {user, live sockets, ...}, leases, total}:
/// users whose last live lease died and who were announced online (the caller announces them
/// offline), then users of a dead lease who are still online elsewhere (their status rows'
/// counts), then how many dead leases this call took off and the `sweeps` counter after it
/// (every worker watches that counter to ask its sockets to resync).
inline constexpr std::string_view sweep = TANDEM_LIVE_COUNT
    "local p, now, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[4])\n"
    "local dead = redis.call('ZRANGEBYSCORE', p .. 'leases', '-inf', now, 'WITHSCORES', 'LIMIT', 0, ARGV[3])\n"
    "local out, still = {}, {}\n"
    "for i = 1, #dead, 2 do\n"
    "  local lease, seen = dead[i], tonumber(dead[i + 1]) - ttl\n"
    "  redis.call('ZREM', p .. 'leases', lease)\n"
    "  local users = redis.call('SMEMBERS', p .. 'lease:' .. lease)\n"
    "  redis.call('DEL', p .. 'lease:' .. lease)\n"
    "  for _, user in ipairs(users) do\n"
    "    redis.call('HDEL', p .. 'user:' .. user, lease)\n"
    "    local count = live(p, user, now)\n"
    "    if count == 0 then\n"
    "      if redis.call('SREM', p .. 'online', user) == 1 then\n"
    "        table.insert(out, user)\n"
    "        table.insert(out, string.format('%.0f', seen))\n"
    "      end\n"
    "    else\n"
    "      table.insert(still, user)\n"
    "      table.insert(still, count)\n"
    "    end\n"
    "  end\n"
    "end\n"
    "local swept = #dead / 2\n"
    "local total = tonumber(redis.call('GET', p .. 'sweeps') or '0')\n"
    "if swept > 0 then total = redis.call('INCRBY', p .. 'sweeps', swept) end\n"
    "return {out, still, swept, total}\n";

#undef TANDEM_LIVE_COUNT

}  // namespace tandem::service::scripts
