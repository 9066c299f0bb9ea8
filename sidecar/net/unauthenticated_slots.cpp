// Addresses with no open connection are forgotten, so the map holds only current peers.
#include "net/unauthenticated_slots.hpp"

namespace tandem::net {

unauthenticated_slot::unauthenticated_slot(unauthenticated_slot&& other) noexcept
    : owner_{other.owner_}, address_{std::move(other.address_)}
{
  other.owner_ = nullptr;
}

unauthenticated_slot&
unauthenticated_slot::operator=(unauthenticated_slot&& other) noexcept
{
  if (this != &other) {
    release();
    owner_ = other.owner_;
    address_ = std::move(other.address_);
    other.owner_ = nullptr;
  }
  return *this;
}

void
unauthenticated_slot::release() noexcept
{
  if (owner_) owner_->release(address_);
  owner_ = nullptr;
}

unauthenticated_slots::verdict
unauthenticated_slots::admit(std::string const& address, unauthenticated_caps const& caps)
{
  std::lock_guard lock{mutex_};
  if (total_ >= caps.total) return {false, shed_reason::total};
  auto const it = per_address_.find(address);
  if (it != per_address_.end() && it->second >= caps.per_address) return {false, shed_reason::per_address};
  ++per_address_[address];
  ++total_;
  return {true, {}};
}

void
unauthenticated_slots::release(std::string const& address) noexcept
{
  std::lock_guard lock{mutex_};
  auto const it = per_address_.find(address);
  if (it == per_address_.end()) return;
  --total_;
  if (--it->second <= 0) per_address_.erase(it);
}

std::int64_t
unauthenticated_slots::total() const
{
  std::lock_guard lock{mutex_};
  return total_;
}

}  // namespace tandem::net
