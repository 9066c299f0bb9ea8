// Origin checks agree with Channels' OriginValidator on every case of the shared table.
#include "auth/origin_policy.hpp"

#include <catch2/catch.hpp>

#include "fixtures.hpp"

using tandem::auth::origin_policy;

TEST_CASE("origin decisions match Channels' OriginValidator case by case", "[auth][origin]")
{
  auto const fixture = tandem::test::load_fixture("auth/auth_cases.json");
  for (auto const& c : fixture["origins"]) {
    origin_policy const policy{c["patterns"].get<std::vector<std::string>>()};
    std::optional<std::string> origin;
    if (!c["origin"].is_null()) origin = c["origin"].get<std::string>();
    INFO("origin " << c["origin"] << " patterns " << c["patterns"]);
    CHECK(policy.allows(origin) == c["allowed"].get<bool>());
  }
}

TEST_CASE("an empty ALLOWED_HOSTS under DEBUG allows only the local names", "[auth][origin]")
{
  auto const policy = origin_policy::from_allowed_hosts({}, true);
  CHECK(policy.allows("http://localhost:8000"));
  CHECK(policy.allows("http://[::1]:8000"));
  CHECK_FALSE(policy.allows("http://example.com"));
  CHECK_FALSE(origin_policy::from_allowed_hosts({}, false).allows("http://localhost:8000"));
}

TEST_CASE("a missing Origin is refused unless everything is allowed", "[auth][origin]")
{
  CHECK_FALSE(origin_policy{{"example.com"}}.allows(std::nullopt));
  CHECK(origin_policy{{"*"}}.allows(std::nullopt));
}

TEST_CASE("an out-of-range port is refused rather than trusted", "[auth][origin]")
{
  CHECK_FALSE(origin_policy{{"http://example.com"}}.allows("http://example.com:99999"));
}
