// Error codes: stable numbers, distinct names, retryability.
#include "core/error.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>

using namespace tandem::core;

TEST_CASE("error codes keep their wire numbers", "[core][error]")
{
  CHECK(static_cast<int>(error_code::bad_frame) == 100);
  CHECK(static_cast<int>(error_code::body_too_long) == 105);
  CHECK(static_cast<int>(error_code::unauthenticated) == 201);
  CHECK(static_cast<int>(error_code::rate_limited) == 300);
  CHECK(static_cast<int>(error_code::store_unavailable) == 503);
}

TEST_CASE("error numbers stay out of the WebSocket close code space", "[core][error]")
{
  // Close codes are 1000-4999 (RFC 6455 §7.4: 1000-2999 protocol, 3000-3999 registered,
  // 4000-4999 private, where 4401 and 4403 are ours); an error number must never look like one.
  REQUIRE(all_error_codes().size() == 17);
  for (auto code : all_error_codes()) {
    INFO(error_name(code));
    CHECK(static_cast<int>(code) >= 100);
    CHECK(static_cast<int>(code) <= 599);
  }
}

TEST_CASE("only rate limits and outages are retryable", "[core][error]")
{
  CHECK(is_retryable(error_code::rate_limited));
  CHECK(is_retryable(error_code::store_unavailable));
  CHECK(is_retryable(error_code::layer_unavailable));
  CHECK_FALSE(is_retryable(error_code::body_too_long));
  CHECK_FALSE(is_retryable(error_code::forbidden));
}

TEST_CASE("every code has a distinct name and a message", "[core][error]")
{
  std::set<std::string> names;
  std::set<int> numbers;
  for (auto code : all_error_codes()) {
    numbers.insert(static_cast<int>(code));
    names.insert(std::string{error_name(code)});
    CHECK_FALSE(error_message(code).empty());
  }
  CHECK(names.size() == 17);
  CHECK(numbers.size() == 17);
}
