// One member's receipts in one chat, kept as two high-water marks over the chat's message
// sequence numbers instead of one row per message: "delivered up to seq N, read up to seq M".
#pragma once

#include <cstdint>

#include "core/tick.hpp"

namespace tandem::core {

/// Per-chat message sequence number (1, 2, 3, ...); 0 means "nothing yet".
using seq_t = std::int64_t;

enum class receipt_kind : std::uint8_t { delivered = 0, read = 1 };

/// Invariant: read_upto <= delivered_upto (reading implies delivery).
struct receipt_marker {
  seq_t delivered_upto = 0;
  seq_t read_upto = 0;

  bool operator==(receipt_marker const&) const = default;
};

struct marker_advance {
  receipt_marker marker;
  bool changed = false;  // false: the receipt said nothing new (repeat or stale), send nothing
};

/// Applies a receipt "kind up to seq". Marks only move forward, so a receipt applied twice or
/// out of order changes nothing; a read receipt also advances delivery.
marker_advance apply_receipt(receipt_marker const& marker, receipt_kind kind, seq_t upto) noexcept;

/// The tick one recipient's marker gives message `seq`: read, delivered or sent.
tick tick_for(receipt_marker const& marker, seq_t seq) noexcept;

}  // namespace tandem::core
