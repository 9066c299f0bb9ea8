// Cookie headers are read exactly as Django's parse_cookie reads them.
#include "auth/cookie_header.hpp"

#include <catch2/catch.hpp>

#include "fixtures.hpp"

using tandem::auth::cookie_value;

TEST_CASE("the session cookie is read like Django reads it", "[auth][cookie]")
{
  auto const fixture = tandem::test::load_fixture("auth/auth_cases.json");
  for (auto const& c : fixture["cookies"]) {
    auto const got = cookie_value(c["header"].get<std::string>(), "sessionid");
    INFO("header " << c["header"]);
    if (c["sessionid"].is_null())
      CHECK_FALSE(got.has_value());
    else
      CHECK(got == c["sessionid"].get<std::string>());
  }
}
