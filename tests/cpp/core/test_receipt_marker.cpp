// Receipt markers: forward-only, idempotent, read implies delivered.
#include "core/receipt_marker.hpp"

#include <catch2/catch.hpp>

#include <random>

#include "fixtures.hpp"

using namespace tandem::core;

namespace {

receipt_marker
marker_from(nlohmann::json const& pair)
{
  return {pair[0].get<seq_t>(), pair[1].get<seq_t>()};
}

}  // namespace

TEST_CASE("receipt fixtures give the expected marker", "[core][receipts]")
{
  auto const fixture = tandem::test::load_fixture("core/receipts.json");
  for (auto const& c : fixture["apply"]) {
    SECTION(c["name"].get<std::string>())
    {
      auto const kind = c["kind"] == "read" ? receipt_kind::read : receipt_kind::delivered;
      auto const a = apply_receipt(marker_from(c["marker"]), kind, c["upto"].get<seq_t>());
      CHECK(a.marker == marker_from(c["expect"]));
      CHECK(a.changed == c["changed"].get<bool>());
    }
  }
}

TEST_CASE("receipts applied in any order and any number of times give the same marker",
          "[core][receipts][property]")
{
  std::mt19937 rng{7};
  std::uniform_int_distribution<seq_t> pick_seq{0, 50};
  std::bernoulli_distribution pick_read{0.5};
  for (int run = 0; run < 300; ++run) {
    std::vector<std::pair<receipt_kind, seq_t>> receipts(8);
    for (auto& r : receipts) r = {pick_read(rng) ? receipt_kind::read : receipt_kind::delivered, pick_seq(rng)};
    auto fold = [](auto const& list) {
      receipt_marker m;
      for (auto const& [kind, upto] : list) m = apply_receipt(m, kind, upto).marker;
      return m;
    };
    auto const once = fold(receipts);
    auto shuffled = receipts;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    auto twice = shuffled;
    twice.insert(twice.end(), receipts.begin(), receipts.end());
    REQUIRE(fold(shuffled) == once);
    REQUIRE(fold(twice) == once);
    REQUIRE(once.read_upto <= once.delivered_upto);
  }
}

TEST_CASE("a marker tells the tick of each message", "[core][receipts]")
{
  receipt_marker const m{5, 3};
  CHECK(tick_for(m, 1) == tick::read);
  CHECK(tick_for(m, 3) == tick::read);
  CHECK(tick_for(m, 4) == tick::delivered);
  CHECK(tick_for(m, 5) == tick::delivered);
  CHECK(tick_for(m, 6) == tick::sent);
}
