// Shard choice agrees with channels_redis's _consistent_hash for every golden name and ring.
#include "layer/consistent_hash.hpp"

#include <catch2/catch.hpp>

#include "layer/golden_values.hpp"

using tandem::layer::shard_index;

TEST_CASE("shard indexes agree with channels_redis for every name and ring size", "[layer][consistent_hash]")
{
  auto const& cases = tandem::test::golden()["shards"];
  REQUIRE(cases.size() >= 50);
  for (auto const& c : cases) {
    auto const name = c["name"].get<std::string>();
    auto const ring = c["ring_size"].get<std::size_t>();
    CAPTURE(name, ring);
    CHECK(shard_index(name, ring) == c["index"].get<std::size_t>());
  }
}

TEST_CASE("a ring of one or none always gives shard zero", "[layer][consistent_hash]")
{
  CHECK(shard_index("anything", 1) == 0u);
  CHECK(shard_index("anything", 0) == 0u);
}

TEST_CASE("a process queue and one of its channels can land on different shards", "[layer][consistent_hash]")
{
  // The channels_redis bug Tandem works around (django/channels#1492): 2401 vs 1393 CRC bits.
  CHECK(shard_index("specific.0123456789abcdef0123456789abcdef!", 2) == 0u);
  CHECK(shard_index("specific.0123456789abcdef0123456789abcdef!00000000000000000000000000000001", 2) == 1u);
}

TEST_CASE("every index stays inside the ring", "[layer][consistent_hash]")
{
  for (std::size_t ring = 2; ring <= 64; ++ring) {
    for (int k = 0; k < 200; ++k) CHECK(shard_index("name-" + std::to_string(k), ring) < ring);
  }
}
