// Group aggregation: the minimum over recipients, which is order-independent by nature.
#include "core/receipt_aggregate.hpp"

#include <algorithm>
#include <limits>

namespace tandem::core {

tick
aggregate_ticks(std::span<tick const> recipient_ticks) noexcept
{
  if (recipient_ticks.empty()) return tick::sent;
  int lowest = server_rank(tick::read);
  for (tick t : recipient_ticks) lowest = std::min(lowest, std::max(server_rank(t), server_rank(tick::sent)));
  return static_cast<tick>(lowest);
}

tick
aggregate_markers(std::span<receipt_marker const> recipient_markers, seq_t seq) noexcept
{
  if (recipient_markers.empty()) return tick::sent;
  tick lowest = tick::read;
  for (auto const& marker : recipient_markers) {
    tick const t = tick_for(marker, seq);
    if (server_rank(t) < server_rank(lowest)) lowest = t;
  }
  return lowest;
}

seq_t
common_upto(std::span<receipt_marker const> recipient_markers, receipt_kind kind) noexcept
{
  if (recipient_markers.empty()) return 0;
  seq_t lowest = std::numeric_limits<seq_t>::max();
  for (auto const& marker : recipient_markers)
    lowest = std::min(lowest, kind == receipt_kind::read ? marker.read_upto : marker.delivered_upto);
  return lowest;
}

}  // namespace tandem::core
