// Validation of send frames against the shared fixtures, plus wire-level UTF-8 cases.
#include "core/frame_rules.hpp"

#include <catch2/catch.hpp>

#include "fixtures.hpp"

using namespace tandem::core;

TEST_CASE("send frame fixtures give the expected verdict", "[core][frames]")
{
  auto const fixture = tandem::test::load_fixture("core/frames.json");
  for (auto const& c : fixture["send"]) {
    SECTION(c["name"].get<std::string>())
    {
      send_fields const frame{c["chat"].get<std::int64_t>(), c["client_id"].get<std::string>(),
                              c["body"].get<std::string>()};
      auto const verdict = validate_send(frame, frame_limits{});
      if (c["error"].is_null()) {
        CHECK_FALSE(verdict.has_value());
      } else {
        REQUIRE(verdict.has_value());
        CHECK(error_name(verdict->code) == c["error"]["code"].get<std::string>());
        CHECK(verdict->field == c["error"]["field"].get<std::string>());
      }
    }
  }
}

TEST_CASE("a body that is not UTF-8 is refused by name", "[core][frames]")
{
  auto const verdict = validate_body("caf\xC3", frame_limits{});
  REQUIRE(verdict.has_value());
  CHECK(verdict->code == error_code::body_not_utf8);
  CHECK(verdict->field == "body");
}

TEST_CASE("limits are configurable", "[core][frames]")
{
  frame_limits const tight{5, 3};
  CHECK_FALSE(validate_body("hello", tight).has_value());
  CHECK(validate_body("hello!", tight)->code == error_code::body_too_long);
  CHECK_FALSE(validate_client_id("abc", tight).has_value());
  CHECK(validate_client_id("abcd", tight)->code == error_code::client_id_invalid);
}

TEST_CASE("message ids must be positive", "[core][frames]")
{
  CHECK_FALSE(validate_positive_id(1, "upto", error_code::message_id_invalid).has_value());
  auto const verdict = validate_positive_id(0, "upto", error_code::message_id_invalid);
  REQUIRE(verdict.has_value());
  CHECK(verdict->field == "upto");
}
