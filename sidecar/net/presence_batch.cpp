#include "net/presence_batch.hpp"

#include <algorithm>
#include <utility>

namespace tandem::net {

void
presence_batch::add(protocol::presence_entry const& entry)
{
  if (!waiting_) waiting_ = std::make_unique<waiting>();
  auto& entries = waiting_->entries;
  ++waiting_->visits;
  auto const [at, added] = waiting_->index.try_emplace(entry.user, entries.size());
  if (added) entries.push_back(entry);
  else entries[at->second] = entry;
}

std::chrono::milliseconds
presence_batch::wait(service::clock const& clock, std::chrono::milliseconds interval) const
{
  auto const left = flushed_at_ + interval.count() - clock.steady_ms();
  return std::chrono::milliseconds{std::clamp<core::unix_ms>(left, 0, interval.count())};
}

std::vector<protocol::presence_entry>
presence_batch::take(service::clock const& clock)
{
  flushed_at_ = clock.steady_ms();
  if (!waiting_) return {};
  auto entries = std::move(waiting_->entries);
  waiting_.reset();
  return entries;
}

}  // namespace tandem::net
