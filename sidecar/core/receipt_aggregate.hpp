// What the sender of a message sees in a chat with several recipients: delivered only when all
// recipients have it, read only when all have read it. Order of receipts never matters.
#pragma once

#include <span>

#include "core/receipt_marker.hpp"
#include "core/tick.hpp"

namespace tandem::core {

/// The least advanced of the recipients' ticks (each sent, delivered or read). With no
/// recipients (a note to yourself) the message is simply sent.
tick aggregate_ticks(std::span<tick const> recipient_ticks) noexcept;

/// The sender's tick for message `seq`, from every recipient's marker (sender excluded).
tick aggregate_markers(std::span<receipt_marker const> recipient_markers, seq_t seq) noexcept;

/// Highest seq every recipient has reached for `kind`: the point up to which all of the
/// sender's messages show that tick. 0 with no recipients.
seq_t common_upto(std::span<receipt_marker const> recipient_markers, receipt_kind kind) noexcept;

}  // namespace tandem::core
