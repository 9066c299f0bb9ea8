// The per-user map forgets users with no sockets, so it never grows with past visitors.
#include "net/connection_limits.hpp"

namespace tandem::net {

connection_limits::verdict
connection_limits::admit(std::int64_t user_id)
{
  std::lock_guard lock{mutex_};
  if (total_ >= total_limit_) return verdict::process_full;
  auto& count = per_user_counts_[user_id];
  if (count >= per_user_) {
    if (count == 0) per_user_counts_.erase(user_id);
    return verdict::user_full;
  }
  ++count;
  ++total_;
  return verdict::admitted;
}

void
connection_limits::release(std::int64_t user_id)
{
  std::lock_guard lock{mutex_};
  auto const it = per_user_counts_.find(user_id);
  if (it == per_user_counts_.end()) return;
  --total_;
  if (--it->second <= 0) {
    bridge_buckets_.erase(user_id);
    per_user_counts_.erase(it);
  }
}

std::optional<core::unix_ms>
connection_limits::take_bridge_token(std::int64_t user_id, double rate_per_second, double burst, core::unix_ms now)
{
  std::lock_guard lock{mutex_};
  auto it = bridge_buckets_.try_emplace(user_id, rate_per_second, burst, now).first;
  if (it->second.try_take(now)) return std::nullopt;
  return it->second.wait_ms(now);
}

std::int64_t
connection_limits::total() const
{
  std::lock_guard lock{mutex_};
  return total_;
}

}  // namespace tandem::net
