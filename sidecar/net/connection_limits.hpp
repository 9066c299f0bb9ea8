// Process-wide connection accounting: sockets per user and in total, and connections that
// have not upgraded yet. Touched only at connect
// and disconnect (never per message), so one mutex is cheap and keeps the count exact.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "core/token_bucket.hpp"

#include "net/unauthenticated_slots.hpp"

namespace tandem::net {

class connection_limits {
 public:
  connection_limits(std::int64_t per_user, std::int64_t total) noexcept : per_user_{per_user}, total_limit_{total} {}

  enum class verdict : std::uint8_t { admitted, user_full, process_full };

  /// Reserves a slot for one socket of `user_id`; release() it when the socket ends.
  verdict admit(std::int64_t user_id);
  void release(std::int64_t user_id);
  std::int64_t total() const;
  /// One token of `user_id`'s bridge allowance, shared by all their sockets on this process so
  /// one user cannot fill the bridge channel for everyone; nullopt when taken, else the wait (ms).
  std::optional<core::unix_ms> take_bridge_token(std::int64_t user_id, double rate_per_second, double burst,
                                                 core::unix_ms now);
  /// Connections not yet upgraded, by source address (see unauthenticated_slots.hpp).
  unauthenticated_slots& unauthenticated() noexcept { return unauthenticated_; }

 private:
  unauthenticated_slots unauthenticated_;
  mutable std::mutex mutex_;
  std::unordered_map<std::int64_t, std::int64_t> per_user_counts_;
  std::unordered_map<std::int64_t, core::token_bucket> bridge_buckets_;  // users with sockets only
  std::int64_t per_user_;
  std::int64_t total_limit_;
  std::int64_t total_ = 0;
};

}  // namespace tandem::net
