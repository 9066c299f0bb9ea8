// The scripts of service/adapters/presence_scripts.hpp, step for step, over maps.
#include "fakes/fake_presence_store.hpp"

namespace tandem::fakes {

void
fake_presence_store::other_process(std::string const& lease, core::unix_ms lease_expiry, std::int64_t user, int sockets)
{
  leases_[lease] = lease_expiry;
  sockets_[user][lease] += sockets;
  online_.insert(user);
}

void
fake_presence_store::other_process_released(std::string const& lease, core::unix_ms now)
{
  leases_.erase(lease);
  for (auto& [user, per_lease] : sockets_)
    if (per_lease.erase(lease) && live(user, now) == 0) online_.erase(user);
}

void
fake_presence_store::lose_everything()
{
  leases_.clear();
  sockets_.clear();
  online_.clear();
  sweeps_total_ = 0;
}

std::int64_t
fake_presence_store::live(std::int64_t user, core::unix_ms now) const
{
  std::int64_t total = 0;
  auto const it = sockets_.find(user);
  if (it == sockets_.end()) return 0;
  for (auto const& [lease, count] : it->second) {
    auto const alive = leases_.find(lease);
    if (alive != leases_.end() && alive->second > now) total += count;
  }
  return total;
}

int
fake_presence_store::count_on_self(std::int64_t user) const
{
  auto const it = sockets_.find(user);
  if (it == sockets_.end()) return 0;
  auto const mine = it->second.find(self);
  return mine == it->second.end() ? 0 : mine->second;
}

awaitable<service::lease_reply>
fake_presence_store::renew_lease(core::unix_ms now, std::chrono::milliseconds ttl)
{
  co_await wait_for(faults.delay);
  service::lease_reply out;
  if (faults.take() != fault::none) {
    out.error = "injected";
    co_return out;
  }
  out.ok = true;
  out.lease_was_lost = !leases_.contains(self);
  out.lease_had_expired = leases_.contains(self) && leases_[self] <= now;
  out.leases_swept_total = sweeps_total_;
  leases_[self] = now + ttl.count();
  co_return out;
}

awaitable<service::sweep_reply>
fake_presence_store::sweep(core::unix_ms now, std::size_t batch, std::chrono::milliseconds)
{
  co_await wait_for(faults.delay);
  service::sweep_reply out;
  if (faults.take() != fault::none) co_return out;
  out.ok = true;
  ++sweeps;
  std::vector<std::pair<std::string, core::unix_ms>> dead;
  for (auto const& [lease, expiry] : leases_)
    if (expiry <= now && lease != self && dead.size() < batch) dead.emplace_back(lease, expiry);
  out.leases_swept = dead.size();
  sweeps_total_ += static_cast<std::int64_t>(dead.size());
  out.leases_swept_total = sweeps_total_;
  for (auto const& [lease, expiry] : dead) {
    leases_.erase(lease);
    for (auto& [user, per_lease] : sockets_) {
      if (!per_lease.erase(lease)) continue;
      auto const left = live(user, now);
      if (left > 0) out.still_online.emplace_back(user, left);
      else if (online_.erase(user)) out.offline.emplace_back(user, expiry);
    }
  }
  co_return out;
}

awaitable<service::restore_reply>
fake_presence_store::restore(core::unix_ms now, std::chrono::milliseconds ttl, std::unordered_map<std::int64_t, int> counts)
{
  co_await wait_for(faults.delay);
  service::restore_reply out;
  if (faults.take() != fault::none) {
    out.error = "injected";
    co_return out;
  }
  out.ok = true;
  leases_[self] = now + ttl.count();
  for (auto& [user, per_lease] : sockets_)
    if (!counts.contains(user) && per_lease.erase(self)) out.dropped.push_back(user);
  for (auto const& [user, count] : counts) {
    sockets_[user][self] = count;
    if (online_.insert(user).second) out.announced.push_back(user);
    out.counts.emplace_back(user, live(user, now));
  }
  co_return out;
}

awaitable<service::connect_reply>
fake_presence_store::connect(std::int64_t user, core::unix_ms now, std::chrono::milliseconds ttl)
{
  co_await wait_for(faults.delay);
  service::connect_reply out;
  auto const f = faults.take();
  if (f == fault::refused) {
    out.error = "OOM command not allowed";
    co_return out;
  }
  if (f == fault::unavailable) {
    out.outcome = service::count_outcome::unknown;
    out.error = "connection reset";
    co_return out;
  }
  leases_[self] = now + ttl.count();
  ++sockets_[user][self];
  out.fresh = online_.insert(user).second;
  out.live = live(user, now);
  out.outcome = f == fault::timeout ? service::count_outcome::unknown : service::count_outcome::done;
  co_return out;
}

awaitable<service::disconnect_reply>
fake_presence_store::disconnect(std::int64_t user, core::unix_ms closed_at)
{
  co_await wait_for(faults.delay);
  service::disconnect_reply out;
  auto const f = faults.take();
  if (f == fault::refused) {
    out.error = "OOM command not allowed";
    co_return out;
  }
  if (f == fault::unavailable) {
    out.outcome = service::count_outcome::unknown;
    co_return out;
  }
  auto& mine = sockets_[user][self];
  if (mine > 0) --mine;
  if (mine == 0) sockets_[user].erase(self);
  out.remaining = live(user, closed_at);
  out.outcome = f == fault::timeout ? service::count_outcome::unknown : service::count_outcome::done;
  co_return out;
}

awaitable<service::settle_reply>
fake_presence_store::settle(std::int64_t user, core::unix_ms now)
{
  co_await wait_for(faults.delay);
  service::settle_reply out;
  if (faults.take() != fault::none) co_return out;
  out.ok = true;
  out.went_offline = live(user, now) == 0 && online_.erase(user) > 0;
  co_return out;
}

awaitable<std::vector<service::settle_reply>>
fake_presence_store::settle_many(std::vector<std::int64_t> users, core::unix_ms now)
{
  co_await wait_for(faults.delay);
  std::vector<service::settle_reply> out(users.size());
  if (faults.take() != fault::none) co_return out;
  for (std::size_t i = 0; i < users.size(); ++i) {
    out[i].ok = true;
    out[i].went_offline = live(users[i], now) == 0 && online_.erase(users[i]) > 0;
  }
  co_return out;
}

awaitable<service::release_reply>
fake_presence_store::release(core::unix_ms now)
{
  co_await wait_for(faults.delay);
  service::release_reply out;
  if (faults.take() != fault::none) {
    out.error = "injected";
    co_return out;
  }
  out.ok = true;
  leases_.erase(self);
  for (auto& [user, per_lease] : sockets_) {
    if (!per_lease.erase(self)) continue;
    auto const left = live(user, now);
    if (left > 0) out.still_online.emplace_back(user, left);
    else if (online_.erase(user)) out.offline.push_back(user);
  }
  co_return out;
}

awaitable<std::optional<std::int64_t>>
fake_presence_store::live_count(std::int64_t user, core::unix_ms now)
{
  co_await wait_for(faults.delay);
  if (faults.take() != fault::none) co_return std::nullopt;
  co_return live(user, now);
}

awaitable<std::vector<std::optional<std::int64_t>>>
fake_presence_store::live_counts(std::vector<std::int64_t> users, core::unix_ms now)
{
  co_await wait_for(faults.delay);
  std::vector<std::optional<std::int64_t>> out(users.size());
  if (faults.take() != fault::none) co_return out;
  for (std::size_t i = 0; i < users.size(); ++i) out[i] = live(users[i], now);
  co_return out;
}

awaitable<std::optional<std::vector<bool>>>
fake_presence_store::online(std::vector<std::int64_t> users)
{
  co_await wait_for(faults.delay);
  if (faults.take() != fault::none) co_return std::nullopt;
  std::vector<bool> out;
  for (auto const user : users) out.push_back(online_.contains(user));
  co_return out;
}

}  // namespace tandem::fakes
