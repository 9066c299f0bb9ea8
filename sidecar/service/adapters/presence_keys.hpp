// Names of Tandem's own Redis keys (presence and typing). Each key carries a Redis Cluster hash
// tag ({...}) naming what it belongs to: one user, one chat, one lease, or the lease registry.
// A script is only ever given keys with the same tag, so it touches one slot, and Tandem routes
// every key to a shard by its tag (routing_tag), so a user's keys stay together on one shard
// while different users spread over all of them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tandem::service::keys {

/// The text Redis Cluster hashes for `key`: what is between the first '{' and the next '}'
/// when that is not empty, else the whole key (the cluster specification's rule).
inline std::string_view
routing_tag(std::string_view key) noexcept
{
  auto const open = key.find('{');
  if (open == std::string_view::npos) return key;
  auto const close = key.find('}', open + 1);
  if (close == std::string_view::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

/// ZSET lease → expiry (ms): every worker's lease. Small (one member per worker).
inline std::string
lease_registry(std::string_view layer_prefix)
{
  return std::string{layer_prefix} + "tandem:presence:{leases}";
}

/// SET of the users with sockets on `lease`, so a dead lease's users can be found.
inline std::string
lease_users(std::string_view layer_prefix, std::string_view lease)
{
  return std::string{layer_prefix} + "tandem:presence:{lease:" + std::string{lease} + "}:users";
}

/// HASH lease → that lease's open sockets of `user`.
inline std::string
user_sockets(std::string_view layer_prefix, std::int64_t user)
{
  return std::string{layer_prefix} + "tandem:presence:{user:" + std::to_string(user) + "}:sockets";
}

/// STRING, present while `user` is announced online: SET NX / DEL answering 1 decides, exactly
/// once, which process announces a change.
inline std::string
user_online(std::string_view layer_prefix, std::int64_t user)
{
  return std::string{layer_prefix} + "tandem:presence:{user:" + std::to_string(user) + "}:online";
}

/// ZSET "user:name" → expiry (ms): who is typing in `chat`.
inline std::string
typing(std::string_view layer_prefix, std::int64_t chat)
{
  return std::string{layer_prefix} + "tandem:typing:{chat:" + std::to_string(chat) + "}";
}

}  // namespace tandem::service::keys
