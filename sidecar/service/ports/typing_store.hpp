// Who is typing in a chat, shared by every sidecar process with a server-side expiry, so a
// socket opening anywhere sees current typists and a vanished client stops "typing" by itself.
// The adapter over Redis (a sorted set per chat) is service/adapters/redis_typing_store.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "asio/asio.hpp"
#include "core/time.hpp"

namespace tandem::service {

struct typist_entry {
  std::string member;  // "<user id>:<display name>"
  core::unix_ms expires_at = 0;
};

class typing_store {
 public:
  virtual ~typing_store() = default;
  /// Keeps `member` typing in `chat` until expires_at (forgetting entries expired by `now`);
  /// false when the store did not keep it.
  virtual awaitable<bool> add(std::int64_t chat, std::string member, core::unix_ms expires_at, core::unix_ms now,
                              std::chrono::milliseconds expiry) = 0;
  virtual awaitable<void> remove(std::int64_t chat, std::string member) = 0;
  /// Entries that expire after `now`; empty when the store cannot say.
  virtual awaitable<std::vector<typist_entry>> current(std::int64_t chat, core::unix_ms now) = 0;
};

}  // namespace tandem::service
