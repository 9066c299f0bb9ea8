// Group aggregation: all recipients must reach a step before the sender sees it.
#include "core/receipt_aggregate.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "fixtures.hpp"

using namespace tandem::core;

TEST_CASE("aggregate fixtures give the expected group tick", "[core][receipts]")
{
  auto const fixture = tandem::test::load_fixture("core/receipts.json");
  for (auto const& c : fixture["aggregate"]) {
    SECTION(c["name"].get<std::string>())
    {
      std::vector<receipt_marker> markers;
      for (auto const& p : c["markers"]) markers.push_back({p[0].get<seq_t>(), p[1].get<seq_t>()});
      CHECK(tick_name(aggregate_markers(markers, c["seq"].get<seq_t>())) == c["expect"].get<std::string>());
    }
  }
}

TEST_CASE("aggregation does not depend on the order of recipients", "[core][receipts][property]")
{
  std::mt19937 rng{99};
  std::uniform_int_distribution<int> pick{1, 3};
  for (int run = 0; run < 300; ++run) {
    std::vector<tick> ticks(static_cast<std::size_t>(pick(rng) * 3));
    for (auto& t : ticks) t = static_cast<tick>(pick(rng));
    auto const before = aggregate_ticks(ticks);
    std::shuffle(ticks.begin(), ticks.end(), rng);
    REQUIRE(aggregate_ticks(ticks) == before);
  }
}

TEST_CASE("one recipient behind holds the whole group back", "[core][receipts]")
{
  std::vector<tick> ticks{tick::read, tick::read, tick::sent};
  CHECK(aggregate_ticks(ticks) == tick::sent);
  ticks.back() = tick::delivered;
  CHECK(aggregate_ticks(ticks) == tick::delivered);
  ticks.back() = tick::read;
  CHECK(aggregate_ticks(ticks) == tick::read);
  CHECK(aggregate_ticks({}) == tick::sent);
}

TEST_CASE("common_upto is the lowest mark over recipients", "[core][receipts]")
{
  std::vector<receipt_marker> const markers{{9, 4}, {7, 7}, {12, 2}};
  CHECK(common_upto(markers, receipt_kind::delivered) == 7);
  CHECK(common_upto(markers, receipt_kind::read) == 2);
  CHECK(common_upto({}, receipt_kind::read) == 0);
}
