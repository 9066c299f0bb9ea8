// The breaker opens after repeated failures, lets one probe through later, and closes on success.
#include "core/circuit_breaker.hpp"

#include <catch2/catch.hpp>

using namespace tandem::core;

TEST_CASE("the breaker stays closed below the failure threshold", "[core][breaker]")
{
  circuit_breaker breaker{{3, 1000}};
  breaker.record_failure(0);
  breaker.record_failure(0);
  CHECK(breaker.state() == breaker_state::closed);
  CHECK(breaker.allow(0));
}

TEST_CASE("a success resets the count of failures in a row", "[core][breaker]")
{
  circuit_breaker breaker{{2, 1000}};
  breaker.record_failure(0);
  breaker.record_success();
  breaker.record_failure(0);
  CHECK(breaker.state() == breaker_state::closed);
}

TEST_CASE("an open breaker fails fast and says when to retry", "[core][breaker]")
{
  circuit_breaker breaker{{2, 1000}};
  breaker.record_failure(0);
  breaker.record_failure(100);
  CHECK(breaker.state() == breaker_state::open);
  CHECK_FALSE(breaker.allow(500));
  CHECK(breaker.retry_after_ms(500) == 600);
}

TEST_CASE("after the open time exactly one probe goes through", "[core][breaker]")
{
  circuit_breaker breaker{{1, 1000}};
  breaker.record_failure(0);
  CHECK(breaker.allow(1000));
  CHECK(breaker.state() == breaker_state::half_open);
  CHECK_FALSE(breaker.allow(1001));
}

TEST_CASE("a successful probe closes the breaker, a failed one reopens it", "[core][breaker]")
{
  circuit_breaker breaker{{1, 1000}};
  breaker.record_failure(0);
  REQUIRE(breaker.allow(1000));
  breaker.record_failure(1000);
  CHECK(breaker.state() == breaker_state::open);
  CHECK_FALSE(breaker.allow(1500));
  REQUIRE(breaker.allow(2000));
  breaker.record_success();
  CHECK(breaker.state() == breaker_state::closed);
  CHECK(breaker.allow(2000));
}
