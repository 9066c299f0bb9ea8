// Receipt news: a sender hears of a receipt only when the least advanced other member moved.
#include "core/receipt_news.hpp"

#include <catch2/catch.hpp>

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
