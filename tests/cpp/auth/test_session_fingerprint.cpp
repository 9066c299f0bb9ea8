// A logout's tandem.disconnect names its session by fingerprint: the sidecar computes the one
// Django does (tandem.session_fingerprint), case by case from the shared table.
#include "auth/session_fingerprint.hpp"

#include <catch2/catch.hpp>

#include "fixtures.hpp"

using tandem::auth::same_session;
using tandem::auth::session_fingerprint;

TEST_CASE("session fingerprints match Django's, and only the session's own matches", "[auth][session]")
{
  auto const fixture = tandem::test::load_fixture("auth/auth_cases.json");
  REQUIRE(fixture["session_fingerprints"].size() >= 3);
  for (auto const& c : fixture["session_fingerprints"]) {
    auto const cookie = c["cookie"].get<std::string>();
    auto const fingerprint = c["fingerprint"].get<std::string>();
    INFO("cookie " << cookie);
    CHECK(session_fingerprint(cookie) == fingerprint);
    CHECK(same_session(fingerprint, cookie));
    CHECK_FALSE(same_session(fingerprint, cookie + "x"));
  }
  CHECK_FALSE(same_session("", "abc123"));
}
