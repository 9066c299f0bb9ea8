// Forward-only receipt marks and the tick they imply for a message.
#include "core/receipt_marker.hpp"

#include <algorithm>

namespace tandem::core {

marker_advance
apply_receipt(receipt_marker const& marker, receipt_kind kind, seq_t upto) noexcept
{
  receipt_marker next = marker;
  next.delivered_upto = std::max(next.delivered_upto, upto);
  if (kind == receipt_kind::read) next.read_upto = std::max(next.read_upto, upto);
  return {next, next != marker};
}

tick
tick_for(receipt_marker const& marker, seq_t seq) noexcept
{
  if (seq <= marker.read_upto) return tick::read;
  if (seq <= marker.delivered_upto) return tick::delivered;
  return tick::sent;
}

}  // namespace tandem::core
