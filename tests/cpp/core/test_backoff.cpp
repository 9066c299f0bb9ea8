// Retry schedules: fixture values, bounds and the attempt limit.
#include "core/backoff.hpp"

#include <catch2/catch.hpp>

#include "fixtures.hpp"

using namespace tandem::core;

TEST_CASE("backoff fixtures give the expected delays", "[core][backoff]")
{
  auto const fixture = tandem::test::load_fixture("core/backoff.json");
  for (auto const& c : fixture["cases"]) {
    auto const& policy = c["policy"] == "reconnect" ? reconnect_backoff : message_retry_backoff;
    auto const delay = backoff_delay(policy, c["attempt"].get<int>(), c["random01"].get<double>());
    INFO("attempt " << c["attempt"] << " random " << c["random01"]);
    if (c["delay"].is_null())
      CHECK_FALSE(delay.has_value());
    else
      CHECK(delay == c["delay"].get<unix_ms>());
  }
}

TEST_CASE("the first reconnect comes within two seconds whatever the jitter", "[core][backoff][property]")
{
  for (int i = 0; i <= 1000; ++i) {
    auto const delay = backoff_delay(reconnect_backoff, 1, i / 1000.0);
    REQUIRE(delay.has_value());
    REQUIRE(*delay < 2000);
    REQUIRE(*delay >= 500);
  }
}

TEST_CASE("the median delay grows with every attempt until the cap", "[core][backoff]")
{
  unix_ms previous = 0;
  for (int attempt = 1; attempt <= reconnect_backoff.max_attempts; ++attempt) {
    auto const delay = *backoff_delay(reconnect_backoff, attempt, 0.5);
    CHECK(delay > previous);
    CHECK(delay <= reconnect_backoff.max_ms);
    previous = delay;
  }
  CHECK(message_retry_backoff.max_attempts == 3);
  CHECK(reconnect_backoff.max_attempts == 5);
}

TEST_CASE("a NaN random number is treated as zero", "[core][backoff]")
{
  CHECK(backoff_delay(reconnect_backoff, 1, std::nan("")) == 500);
}
