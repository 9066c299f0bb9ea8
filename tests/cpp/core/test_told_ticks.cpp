// told_ticks: the racing last receipts of a group message tell the sender once.
#include "core/told_ticks.hpp"

#include <catch2/catch.hpp>

using namespace tandem::core;

TEST_CASE("a tick is told once; a later one again; an older one never", "[core][receipts]")
{
  told_ticks told{16};
  status_news const delivered_5{7, receipt_kind::delivered, 5};
  CHECK(told.first_to_tell(1, delivered_5));
  CHECK_FALSE(told.first_to_tell(1, delivered_5));
  CHECK_FALSE(told.first_to_tell(1, {7, receipt_kind::delivered, 4}));
  CHECK(told.first_to_tell(1, {7, receipt_kind::delivered, 6}));
  // Another kind, sender or chat is its own line.
  CHECK(told.first_to_tell(1, {7, receipt_kind::read, 5}));
  CHECK(told.first_to_tell(1, {8, receipt_kind::delivered, 5}));
  CHECK(told.first_to_tell(2, delivered_5));
}

TEST_CASE("a tick whose telling failed can be told again, unless a later one was told", "[core][receipts]")
{
  told_ticks told{16};
  status_news const delivered_5{7, receipt_kind::delivered, 5};
  REQUIRE(told.first_to_tell(1, delivered_5));
  told.not_told(1, delivered_5);
  CHECK(told.first_to_tell(1, delivered_5));
  CHECK(told.first_to_tell(1, {7, receipt_kind::delivered, 6}));
  told.not_told(1, delivered_5);  // 6 went out meanwhile: 5 stays covered
  CHECK_FALSE(told.first_to_tell(1, delivered_5));
}

TEST_CASE("told_ticks forgets everything when full, and stays bounded", "[core][receipts]")
{
  told_ticks told{3};
  for (std::int64_t chat = 1; chat <= 3; ++chat) CHECK(told.first_to_tell(chat, {7, receipt_kind::delivered, 1}));
  CHECK(told.size() == 3);
  CHECK(told.first_to_tell(4, {7, receipt_kind::delivered, 1}));
  CHECK(told.size() == 1);
  // Forgotten: said again (harmless, the client's tick does not move).
  CHECK(told.first_to_tell(1, {7, receipt_kind::delivered, 1}));
}
