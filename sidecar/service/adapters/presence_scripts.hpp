// Presence state in Redis, spread over the shards: every key carries a hash tag (presence_keys.hpp)
// and each script is given keys of ONE tag only, as KEYS, so it runs on one slot (Redis Cluster's
// rule) and the keys of different users live on different shards.
//   {leases}                 ZSET lease → expiry (ms): a lease is one sidecar worker, alive while renewed
//   {leases}:sweeping        ZSET lease → claim expiry: dead leases a sweeper is settling
//   {leases}:expired         HASH lease → the expiry it died with (for last_seen)
//   {lease:<l>}:users        SET  users with sockets on lease l (so a dead lease's users can be found)
//   {user:<u>}:sockets       HASH lease → that lease's open sockets of user u
//   {user:<u>}:online        STRING present while u is announced online: SET NX / DEL answering 1
//                            decides, exactly once, which process announces a change
// A user's live sockets are the sum of their sockets hash. A dead lease's share stays counted
// until a sweeper has settled that user (so a user is never announced offline early); the sweep
// is restartable: a claim that outlives its sweeper is taken over, and each user step is
// idempotent (HDEL of a gone field, DEL of a gone marker announce nothing).
#pragma once

#include <string_view>

namespace tandem::service::scripts {

// Shared by the user scripts: the user's sockets on every lease still holding some.
#define TANDEM_TOTAL                                                        \
  "local function total(key)\n"                                             \
  "  local sum = 0\n"                                                       \
  "  for _, n in ipairs(redis.call('HVALS', key)) do sum = sum + tonumber(n) end\n" \
  "  return sum\n"                                                          \
  "end\n"

/// KEYS: {user}:sockets, {user}:online. ARGV: lease → {1 if the user just came online, live sockets}.
inline constexpr std::string_view connect = TANDEM_TOTAL
    "redis.call('HINCRBY', KEYS[1], ARGV[1], 1)\n"
    "local fresh = 0\n"
    "if redis.call('SET', KEYS[2], '1', 'NX') then fresh = 1 end\n"
    "return {fresh, total(KEYS[1])}\n";

/// KEYS: {user}:sockets. ARGV: lease → {live sockets left, this lease's sockets left}.
inline constexpr std::string_view disconnect = TANDEM_TOTAL
    "local left = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)\n"
    "if left <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]); left = 0 end\n"
    "return {total(KEYS[1]), left}\n";

/// KEYS: {user}:sockets → live sockets (changes nothing; status row writers check against it).
inline constexpr std::string_view live_count = TANDEM_TOTAL
    "return total(KEYS[1])\n";

/// After the grace period. KEYS: {user}:sockets, {user}:online → {1 if the user just went
/// offline, live sockets}.
inline constexpr std::string_view settle = TANDEM_TOTAL
    "local count = total(KEYS[1])\n"
    "if count > 0 then return {0, count} end\n"
    "return {redis.call('DEL', KEYS[2]), 0}\n";

/// A lease lets go of a user (swept, released, or no longer holding them after a restore).
/// KEYS: {user}:sockets, {user}:online. ARGV: lease, "settle" (announce offline now if nothing
/// is left) or "keep" (the caller settles after the grace period) → {1 if the user just went
/// offline, live sockets}.
inline constexpr std::string_view leave = TANDEM_TOTAL
    "redis.call('HDEL', KEYS[1], ARGV[1])\n"
    "local count = total(KEYS[1])\n"
    "if count > 0 or ARGV[2] ~= 'settle' then return {0, count} end\n"
    "return {redis.call('DEL', KEYS[2]), 0}\n";

/// Makes a lease's share of a user exactly what the worker knows (sets, never adds: idempotent).
/// KEYS: {user}:sockets, {user}:online. ARGV: lease, count → {1 if the user was not online, live sockets}.
inline constexpr std::string_view restore = TANDEM_TOTAL
    "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])\n"
    "local fresh = 0\n"
    "if redis.call('SET', KEYS[2], '1', 'NX') then fresh = 1 end\n"
    "return {fresh, total(KEYS[1])}\n";

/// KEYS: {leases}, {leases}:sweeping, {leases}:sweeps. ARGV: lease, expiry, now → {code, sweeps,
/// expired}.
/// code: 0 renewed, 1 renewed but the lease was missing (Redis lost it, or a sweep took it: the
/// caller restores its counts), 2 not renewed: a sweep of this lease is under way (the caller
/// tries again once it is done, so its restore cannot be undone by the sweep's last steps).
/// sweeps: the dead leases any process has claimed so far (every worker watches it to ask its
/// sockets to resync: a dead process may have acknowledged sends it never published).
/// expired: 1 if the lease was there but had already run out although its worker keeps renewing
/// it (a replica promoted by a failover holds the times of before the promotion): every lease
/// there may be as stale, so the caller holds its sweeps off.
inline constexpr std::string_view heartbeat =
    "local total = tonumber(redis.call('GET', KEYS[3]) or '0')\n"
    "if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return {2, total, 0} end\n"
    "local old = redis.call('ZSCORE', KEYS[1], ARGV[1])\n"
    "local expired = 0\n"
    "if old and tonumber(old) <= tonumber(ARGV[3]) then expired = 1 end\n"
    "return {redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1]), total, expired}\n";

/// KEYS: {leases}, {leases}:sweeping, {leases}:expired, {leases}:sweeps. ARGV: now, limit,
/// claim expiry → {{lease, expiry, ...}, newly dead, sweeps}: dead leases (and claims whose
/// sweeper did not finish in time) now claimed by the caller with the expiry each died with,
/// how many of them died since the last sweep, and the sweeps counter after this call.
inline constexpr std::string_view claim_dead =
    "local now, limit, claim = ARGV[1], tonumber(ARGV[2]), ARGV[3]\n"
    "local out = {}\n"
    "for _, lease in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, limit)) do\n"
    "  redis.call('ZADD', KEYS[2], claim, lease)\n"
    "  table.insert(out, lease)\n"
    "  table.insert(out, redis.call('HGET', KEYS[3], lease) or now)\n"
    "end\n"
    "local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit)\n"
    "for i = 1, #dead, 2 do\n"
    "  local expiry = string.format('%.0f', tonumber(dead[i + 1]))\n"
    "  redis.call('ZREM', KEYS[1], dead[i])\n"
    "  redis.call('ZADD', KEYS[2], claim, dead[i])\n"
    "  redis.call('HSET', KEYS[3], dead[i], expiry)\n"
    "  table.insert(out, dead[i])\n"
    "  table.insert(out, expiry)\n"
    "end\n"
    "local swept = #dead / 2\n"
    "local total = tonumber(redis.call('GET', KEYS[4]) or '0')\n"
    "if swept > 0 then total = redis.call('INCRBY', KEYS[4], swept) end\n"
    "return {out, swept, total}\n";

/// A claimed lease is settled. KEYS: {leases}:sweeping, {leases}:expired. ARGV: lease.
inline constexpr std::string_view finish_claim =
    "redis.call('ZREM', KEYS[1], ARGV[1])\n"
    "redis.call('HDEL', KEYS[2], ARGV[1])\n"
    "return 1\n";

/// A worker's user list after a restore. KEYS: {lease}:users. ARGV: keep_ms, user, user, ... →
/// the users the set held that are not in the list. They stay in the set until the caller has
/// let go of each (leave, then SREM), so a failure on the way leaves them findable by a sweep.
inline constexpr std::string_view reset_lease_users =
    "local keep = {}\n"
    "for i = 2, #ARGV do keep[ARGV[i]] = true end\n"
    "local dropped = {}\n"
    "for _, user in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
    "  if not keep[user] then table.insert(dropped, user) end\n"
    "end\n"
    "for i = 2, #ARGV do redis.call('SADD', KEYS[1], ARGV[i]) end\n"
    "redis.call('PEXPIRE', KEYS[1], ARGV[1])\n"
    "return dropped\n";

#undef TANDEM_TOTAL

}  // namespace tandem::service::scripts
