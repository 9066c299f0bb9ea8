// Who hears about a receipt: when one member's marker advances, each sender of a message in the
// advanced range may see their ticks move. A sender's messages are delivered (read) up to the
// lowest marker among the chat's other members, so news exists only when that minimum moved.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/privacy.hpp"
#include "core/receipt_marker.hpp"

namespace tandem::core {

struct member_marker {
  std::int64_t user_id = 0;
  receipt_marker marker;
  bool read_receipts = true;  // the member's privacy setting (core/privacy.hpp)
};

/// "Your messages in this chat are now `kind` up to `upto`", for one sender.
struct status_news {
  std::int64_t sender_id = 0;
  receipt_kind kind = receipt_kind::delivered;
  seq_t upto = 0;

  bool operator==(status_news const&) const = default;
};

/// The sender's view of a chat: their messages are delivered/read up to these seqs (the
/// least advanced other member; with nobody else, up to everything: `last_seq`). In a 1:1
/// chat where either person has read receipts off, reads are not shown (read_upto 0).
receipt_marker sender_view(std::span<member_marker const> members, std::int64_t sender_id, seq_t last_seq,
                           bool is_group) noexcept;

/// News after `reader`'s marker went from `before` to the one in `members_after`, for each of
/// `senders` (the reader itself is skipped). Delivered news comes before read news; a sender
/// whose minimum did not move gets nothing, so group members reading one by one tell the
/// sender only when the last of them has read.
std::vector<status_news> receipt_news(std::span<member_marker const> members_after, std::int64_t reader,
                                      receipt_marker before, std::span<std::int64_t const> senders, bool is_group);

/// How many members other than the reader had each marker at or below the reader's old one
/// when the receipt was applied (counting stops at 2: more never matters).
struct others_behind {
  int delivered = 0;  // members (reader excluded) with delivered_upto <= before.delivered_upto
  int read = 0;       // members (reader excluded) with read_upto <= before.read_upto
};

/// behind, counted from the chat's marks (the reader's own row skipped), as the SQL gate does.
others_behind others_behind_of(std::span<member_marker const> members, std::int64_t reader,
                               receipt_marker before) noexcept;

/// Whether receipt_news could find anything for the reader's marker going from `before` to
/// `after`, knowing only `behind`: false means nobody's ticks moved, so the chat's markers need
/// not be read at all. A sender's tick is the minimum over everyone but the sender, so it moves
/// only if the reader was strictly below every other member but the sender; with two others
/// at or below the reader's old mark, one of them is not the sender and holds the minimum down,
/// whoever sent. In a 1,000-member group that skips the markers of all but the last receipts of
/// a message (O(members) rows per message instead of O(members²)). Privacy only ever lowers a
/// member's read mark (to 0), so counting the stored marks never says "no news" wrongly.
/// The SQL of the receipt markers query (store/message_store.cpp, Django's
/// messaging.RECEIPT_MARKERS_SQL) applies the same rule.
bool receipt_news_possible(receipt_marker before, receipt_marker after, others_behind behind) noexcept;

}  // namespace tandem::core
