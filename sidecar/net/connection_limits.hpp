// Process-wide connection accounting: sockets per user and in total, and connections that
// have not upgraded yet. Touched only at connect
// and disconnect (never per message), so one mutex is cheap and keeps the count exact.
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>

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
  /// Connections not yet upgraded, by source address (see unauthenticated_slots.hpp).
  unauthenticated_slots& unauthenticated() noexcept { return unauthenticated_; }

 private:
  unauthenticated_slots unauthenticated_;
  mutable std::mutex mutex_;
  std::unordered_map<std::int64_t, std::int64_t> per_user_counts_;
  std::int64_t per_user_;
  std::int64_t total_limit_;
  std::int64_t total_ = 0;
};

}  // namespace tandem::net
