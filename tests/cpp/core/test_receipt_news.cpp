// Receipt news: a sender hears of a receipt only when the least advanced other member moved.
#include "core/receipt_news.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

using namespace tandem::core;

namespace {

constexpr std::int64_t ann = 1, bob = 2, cy = 3;

}  // namespace

TEST_CASE("in a 1:1 chat a read receipt tells the sender delivered and read", "[core][receipts]")
{
  std::vector<member_marker> const members{{ann, {5, 5}}, {bob, {5, 5}}};
  std::vector<std::int64_t> const senders{ann};
  auto const news = receipt_news(members, bob, receipt_marker{2, 0}, senders, false);
  REQUIRE(news == std::vector<status_news>{{ann, receipt_kind::delivered, 5}, {ann, receipt_kind::read, 5}});
}

TEST_CASE("in a group the sender hears of reading only when the last member has read", "[core][receipts]")
{
  std::vector<member_marker> members{{ann, {9, 9}}, {bob, {9, 9}}, {cy, {9, 0}}};
  std::vector<std::int64_t> const senders{ann};
  CHECK(receipt_news(members, bob, receipt_marker{9, 0}, senders, true).empty());
  members[2].marker = {9, 9};
  REQUIRE(receipt_news(members, cy, receipt_marker{9, 0}, senders, true) ==
          std::vector<status_news>{{ann, receipt_kind::read, 9}});
}

TEST_CASE("the reader hears nothing about its own messages from its own receipt", "[core][receipts]")
{
  std::vector<member_marker> const members{{ann, {3, 3}}, {bob, {3, 3}}};
  std::vector<std::int64_t> const senders{bob, bob};
  CHECK(receipt_news(members, bob, receipt_marker{1, 1}, senders, false).empty());
}

TEST_CASE("each sender is told once, about its own minimum", "[core][receipts]")
{
  // Ann and Cy both sent messages in the range Bob just read; each sees the others' minimum.
  std::vector<member_marker> const members{{ann, {4, 2}}, {bob, {4, 4}}, {cy, {4, 4}}};
  std::vector<std::int64_t> const senders{ann, cy, ann};
  auto const news = receipt_news(members, bob, receipt_marker{4, 0}, senders, true);
  REQUIRE(news == std::vector<status_news>{{ann, receipt_kind::read, 4}, {cy, receipt_kind::read, 2}});
}

TEST_CASE("the sender's view is the least advanced other member, or everything alone", "[core][receipts]")
{
  std::vector<member_marker> const members{{ann, {7, 7}}, {bob, {6, 3}}, {cy, {5, 4}}};
  CHECK(sender_view(members, ann, 7, true) == receipt_marker{5, 3});
  std::vector<member_marker> const alone{{ann, {0, 0}}};
  CHECK(sender_view(alone, ann, 7, false) == receipt_marker{7, 7});
}

TEST_CASE("with read receipts off on either side a 1:1 sender hears of delivery only", "[core][receipts][privacy]")
{
  std::vector<std::int64_t> const senders{ann};
  for (bool const ann_on : {true, false}) {
    std::vector<member_marker> const members{{ann, {5, 5}, ann_on}, {bob, {5, 5}, !ann_on}};
    CHECK(receipt_news(members, bob, receipt_marker{2, 0}, senders, false) ==
          std::vector<status_news>{{ann, receipt_kind::delivered, 5}});
    CHECK(sender_view(members, ann, 5, false) == receipt_marker{5, 0});
  }
}

TEST_CASE("groups always send read receipts, whatever the settings", "[core][receipts][privacy]")
{
  std::vector<member_marker> const members{{ann, {5, 5}, false}, {bob, {5, 5}, false}, {cy, {5, 5}, false}};
  CHECK(sender_view(members, ann, 5, true) == receipt_marker{5, 5});
}

TEST_CASE("no news is possible while two other members are at or below the reader's old mark", "[core][receipts]")
{
  // Bob's delivered goes 4 -> 5 in a group where Cy and Dee are still at 4: whoever sent, one of
  // them holds the sender's minimum at 4.
  CHECK_FALSE(receipt_news_possible({4, 0}, {5, 0}, {2, 2}));
  // Only one other behind (it may be the sender, who then sees the others' minimum move).
  CHECK(receipt_news_possible({4, 0}, {5, 0}, {1, 2}));
  // A read with two others behind on reads but not on delivery: the delivery moved too.
  CHECK(receipt_news_possible({4, 3}, {5, 5}, {1, 2}));
  CHECK_FALSE(receipt_news_possible({4, 3}, {5, 5}, {2, 2}));
  // Nothing moved: nothing to tell, whatever the others.
  CHECK_FALSE(receipt_news_possible({4, 3}, {4, 3}, {0, 0}));
}

TEST_CASE("receipt_news_possible never hides news receipt_news finds (random chats)", "[core][receipts][property]")
{
  // Small chats with random marks, privacy settings, readers and senders: every time
  // receipt_news finds news, the gate computed from the stored marks must let it through.
  std::uint64_t state = 0x9e3779b97f4a7c15ULL;
  auto next = [&state](int bound) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return static_cast<int>(state % static_cast<std::uint64_t>(bound));
  };
  int news_seen = 0;
  int skipped = 0;
  for (int round = 0; round < 20000; ++round) {
    int const size = 2 + next(5);
    bool const is_group = size > 2 || next(2) == 0;
    std::vector<member_marker> members;
    for (int i = 0; i < size; ++i) {
      seq_t const delivered = next(5);
      seq_t const read = delivered == 0 ? 0 : next(static_cast<int>(delivered) + 1);
      members.push_back({i + 1, {delivered, read}, next(3) != 0});
    }
    auto const reader_index = static_cast<std::size_t>(next(size));
    auto const reader = members[reader_index].user_id;
    auto const after = members[reader_index].marker;
    receipt_marker before{after.delivered_upto == 0 ? 0 : next(static_cast<int>(after.delivered_upto) + 1), 0};
    before.read_upto = std::min<seq_t>(after.read_upto, before.delivered_upto == 0 ? 0 : next(static_cast<int>(before.delivered_upto) + 1));
    // Only a receipt that changed the marker looks for news. (The reader's row as read with the
    // markers is this receipt's `after`: when another tab's receipt moved it further meanwhile,
    // the news of that move are that receipt's to tell, with its own gate.)
    if (before == after) continue;
    std::vector<std::int64_t> senders;
    for (int i = 0; i < 1 + next(3); ++i) senders.push_back(1 + next(size));
    bool const possible = receipt_news_possible(before, after, others_behind_of(members, reader, before));
    auto const news = receipt_news(members, reader, before, senders, is_group);
    if (!news.empty()) {
      ++news_seen;
      INFO("round " << round);
      REQUIRE(possible);
    }
    if (!possible) ++skipped;
  }
  // The generator reaches both sides of the gate.
  CHECK(news_seen > 1000);
  CHECK(skipped > 1000);
}
