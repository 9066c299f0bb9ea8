// Error codes: stable numbers, distinct names, retryability.
#include "core/error.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>

using namespace tandem::core;

TEST_CASE("error codes keep their wire numbers", "[core][error]")
{
  CHECK(static_cast<int>(error_code::bad_frame) == 4000);
  CHECK(static_cast<int>(error_code::body_too_long) == 4005);
  CHECK(static_cast<int>(error_code::rate_limited) == 4290);
  CHECK(static_cast<int>(error_code::store_unavailable) == 5030);
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
  for (auto code : {error_code::bad_frame, error_code::unknown_type, error_code::missing_field,
                    error_code::invalid_field, error_code::body_empty, error_code::body_too_long,
                    error_code::body_not_utf8, error_code::client_id_invalid, error_code::chat_id_invalid,
                    error_code::message_id_invalid, error_code::frame_too_large, error_code::unauthenticated,
                    error_code::forbidden, error_code::rate_limited, error_code::store_unavailable,
                    error_code::layer_unavailable, error_code::internal}) {
    names.insert(std::string{error_name(code)});
    CHECK_FALSE(error_message(code).empty());
  }
  CHECK(names.size() == 17);
}
