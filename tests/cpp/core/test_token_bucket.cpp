// The per-connection rate limit: a full bucket allows a burst, then tokens flow at the rate.
#include "core/token_bucket.hpp"

#include <catch2/catch.hpp>

using tandem::core::token_bucket;

TEST_CASE("a full bucket allows exactly the burst at once", "[core][token_bucket]")
{
  token_bucket bucket{10, 3, 0};
  CHECK(bucket.try_take(0));
  CHECK(bucket.try_take(0));
  CHECK(bucket.try_take(0));
  CHECK_FALSE(bucket.try_take(0));
}

TEST_CASE("an empty bucket refills at the rate and says how long to wait", "[core][token_bucket]")
{
  token_bucket bucket{10, 1, 0};  // one token per 100 ms
  REQUIRE(bucket.try_take(0));
  CHECK(bucket.wait_ms(0) == 100);
  CHECK(bucket.wait_ms(40) == 60);
  CHECK_FALSE(bucket.try_take(99));
  CHECK(bucket.try_take(100));
}

TEST_CASE("a refused take costs nothing", "[core][token_bucket]")
{
  token_bucket bucket{10, 1, 0};
  REQUIRE(bucket.try_take(0));
  for (int i = 0; i < 50; ++i) CHECK_FALSE(bucket.try_take(50));
  CHECK(bucket.try_take(100));
}

TEST_CASE("the bucket never holds more than the burst however long it waits", "[core][token_bucket]")
{
  token_bucket bucket{1000, 2, 0};
  CHECK(bucket.try_take(1'000'000));
  CHECK(bucket.try_take(1'000'000));
  CHECK_FALSE(bucket.try_take(1'000'000));
}

TEST_CASE("a clock stepping backwards adds no tokens", "[core][token_bucket]")
{
  token_bucket bucket{10, 1, 1000};
  REQUIRE(bucket.try_take(1000));
  CHECK_FALSE(bucket.try_take(500));
  CHECK(bucket.try_take(1100));
}
