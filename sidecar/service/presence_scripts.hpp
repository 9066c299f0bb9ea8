// Presence state in Redis, changed only by these scripts so every step is atomic across
// sidecar processes. Keys are named in presence_keys.hpp; every script is given keys of ONE
// hash tag, all as KEYS (never built inside Lua), so it runs on Redis Cluster's slot rules and
// the state of different users lives on different shards:
//   {leases}            ZSET lease → expiry (ms): a lease is one sidecar worker, alive while renewed
//   {lease:<l>}:users   SET  users with sockets on lease l (so a dead lease's users can be found)
//   {user:<u>}:sockets  HASH lease → that lease's open sockets of user u
//   {user:<u>}:online   present while u is announced online: SET NX / DEL answering 1 decides,
//                       exactly once, which process announces a change
// A user's live sockets are the counts held by live leases. Liveness lives in the registry, on
// another slot, so the caller passes the live leases (read from the registry by its last
// heartbeat, its own lease always included) as the ARGV tail; a script never reads another slot.
// Fields of dead leases are not counted, and are deleted by the sweep that claimed the lease.
#pragma once

#include <string_view>

namespace tandem::service::scripts {

// Shared by the scripts that count: sums a user's sockets on the leases named in ARGV[from..].
#define TANDEM_LIVE_COUNT                                                                    \
  "local function live(key, from)\n"                                                         \
  "  local alive = {}\n"                                                                     \
  "  for i = from, #ARGV do alive[ARGV[i]] = true end\n"                                     \
  "  local fields = redis.call('HGETALL', key)\n"                                            \
  "  local total = 0\n"                                                                      \
  "  for i = 1, #fields, 2 do\n"                                                             \
  "    if alive[fields[i]] then total = total + tonumber(fields[i + 1]) end\n"               \
  "  end\n"                                                                                  \
  "  return total\n"                                                                         \
  "end\n"

/// KEYS: {user}:sockets, {user}:online. ARGV: lease, live leases... →
/// {1 if the user just came online, live sockets}.
inline constexpr std::string_view connect = TANDEM_LIVE_COUNT
    "redis.call('HINCRBY', KEYS[1], ARGV[1], 1)\n"
    "local fresh = redis.call('SET', KEYS[2], '1', 'NX') and 1 or 0\n"
    "return {fresh, live(KEYS[1], 2)}\n";

/// KEYS: {user}:sockets. ARGV: lease, live leases... → {live sockets left, sockets left on
/// this lease} (at 0 the caller takes the user off the lease's set).
inline constexpr std::string_view disconnect = TANDEM_LIVE_COUNT
    "local left = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)\n"
    "if left <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end\n"
    "return {live(KEYS[1], 2), left}\n";

/// After the grace period. KEYS: {user}:sockets, {user}:online. ARGV: live leases... →
/// {1 if the user just went offline, live sockets}.
inline constexpr std::string_view settle = TANDEM_LIVE_COUNT
    "local count = live(KEYS[1], 1)\n"
    "if count > 0 then return {0, count} end\n"
    "return {redis.call('DEL', KEYS[2]), 0}\n";

/// A lease is gone (released at exit, or swept after it died): its sockets of the user go.
/// KEYS: {user}:sockets, {user}:online. ARGV: lease, live leases... → as settle.
inline constexpr std::string_view leave = TANDEM_LIVE_COUNT
    "redis.call('HDEL', KEYS[1], ARGV[1])\n"
    "local count = live(KEYS[1], 2)\n"
    "if count > 0 then return {0, count} end\n"
    "return {redis.call('DEL', KEYS[2]), 0}\n";

/// Makes the lease's count of one user exactly what the worker knows (sets, never adds, so it
/// is idempotent). KEYS: {user}:sockets, {user}:online. ARGV: lease, count, live leases... →
/// {1 if the user was not online (to announce), live sockets (for the status row)}.
inline constexpr std::string_view restore = TANDEM_LIVE_COUNT
    "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])\n"
    "local fresh = redis.call('SET', KEYS[2], '1', 'NX') and 1 or 0\n"
    "return {fresh, live(KEYS[1], 3)}\n";

/// KEYS: {leases}. ARGV: lease, expiry, now → {1 if the lease was missing or had expired
/// (Redis lost it, or it was cut off long enough for others to stop counting it): the caller
/// then restores its counts; the live leases (for the other scripts' ARGV)}.
inline constexpr std::string_view heartbeat =
    "local old = redis.call('ZSCORE', KEYS[1], ARGV[1])\n"
    "redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])\n"
    "local missing = (not old or tonumber(old) <= tonumber(ARGV[3])) and 1 or 0\n"
    "return {missing, redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[3], '+inf')}\n";

/// KEYS: {leases}. ARGV: now, limit → {lease, expiry, ...}: dead leases, removed from the
/// registry here, so each is handed to exactly one sweeping process.
inline constexpr std::string_view claim_dead =
    "local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, ARGV[2])\n"
    "for i = 1, #dead, 2 do redis.call('ZREM', KEYS[1], dead[i]) end\n"
    "return dead\n";

#undef TANDEM_LIVE_COUNT

}  // namespace tandem::service::scripts
