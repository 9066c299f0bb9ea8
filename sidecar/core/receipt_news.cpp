// Minimums over "everyone but the sender", once with the reader's old marker and once with its
// new one; the difference is the news.
#include "core/receipt_news.hpp"

#include <algorithm>
#include <limits>

namespace tandem::core {

namespace {

bool
receipts_on(std::span<member_marker const> members, std::int64_t user)
{
  for (auto const& m : members)
    if (m.user_id == user) return m.read_receipts;
  return true;
}

receipt_marker
lowest_of_others(std::span<member_marker const> members, std::int64_t sender_id, std::int64_t reader,
                 receipt_marker const* reader_marker, bool is_group, bool* anyone)
{
  constexpr seq_t none = std::numeric_limits<seq_t>::max();
  receipt_marker lowest{none, none};
  bool const sender_on = receipts_on(members, sender_id);
  *anyone = false;
  for (auto const& m : members) {
    if (m.user_id == sender_id) continue;
    auto marker = (reader_marker && m.user_id == reader) ? *reader_marker : m.marker;
    if (!read_receipts_shown(is_group, sender_on, m.read_receipts)) marker.read_upto = 0;
    lowest.delivered_upto = std::min(lowest.delivered_upto, marker.delivered_upto);
    lowest.read_upto = std::min(lowest.read_upto, marker.read_upto);
    *anyone = true;
  }
  return lowest;
}

}  // namespace

receipt_marker
sender_view(std::span<member_marker const> members, std::int64_t sender_id, seq_t last_seq, bool is_group) noexcept
{
  bool anyone = false;
  auto const lowest = lowest_of_others(members, sender_id, 0, nullptr, is_group, &anyone);
  if (!anyone) return {last_seq, last_seq};
  return lowest;
}

std::vector<status_news>
receipt_news(std::span<member_marker const> members_after, std::int64_t reader, receipt_marker before,
             std::span<std::int64_t const> senders, bool is_group)
{
  std::vector<status_news> news;
  std::vector<std::int64_t> seen;
  for (auto const sender : senders) {
    if (sender == reader || std::find(seen.begin(), seen.end(), sender) != seen.end()) continue;
    seen.push_back(sender);
    bool anyone = false;
    auto const was = lowest_of_others(members_after, sender, reader, &before, is_group, &anyone);
    auto const now = lowest_of_others(members_after, sender, reader, nullptr, is_group, &anyone);
    if (!anyone) continue;
    if (now.delivered_upto > was.delivered_upto)
      news.push_back({sender, receipt_kind::delivered, now.delivered_upto});
    if (now.read_upto > was.read_upto) news.push_back({sender, receipt_kind::read, now.read_upto});
  }
  return news;
}

others_behind
others_behind_of(std::span<member_marker const> members, std::int64_t reader, receipt_marker before) noexcept
{
  others_behind behind;
  for (auto const& m : members) {
    if (m.user_id == reader) continue;
    behind.delivered += m.marker.delivered_upto <= before.delivered_upto ? 1 : 0;
    behind.read += m.marker.read_upto <= before.read_upto ? 1 : 0;
  }
  behind.delivered = std::min(behind.delivered, 2);
  behind.read = std::min(behind.read, 2);
  return behind;
}

bool
receipt_news_possible(receipt_marker before, receipt_marker after, others_behind behind) noexcept
{
  bool const delivered_stuck = after.delivered_upto <= before.delivered_upto || behind.delivered >= 2;
  bool const read_stuck = after.read_upto <= before.read_upto || behind.read >= 2;
  return !(delivered_stuck && read_stuck);
}

}  // namespace tandem::core
