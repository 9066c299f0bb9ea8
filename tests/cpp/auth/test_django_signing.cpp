// Session data signed by real Django (tests/fixtures/auth) verifies, expires and fails exactly
// as Django decides.
#include "auth/django_signing.hpp"

#include <catch2/catch.hpp>

#include "crypto/base64url.hpp"
#include "fixtures.hpp"

using namespace tandem::auth;

TEST_CASE("signed values verify or fail as Django decided", "[auth][signing]")
{
  auto const fixture = tandem::test::load_fixture("auth/auth_cases.json");
  for (auto const& c : fixture["signing"]) {
    SECTION(c["name"].get<std::string>())
    {
      signing_keys const keys{c["secret"].get<std::string>(), c["fallbacks"].get<std::vector<std::string>>()};
      std::optional<std::int64_t> max_age;
      if (!c["max_age"].is_null()) max_age = c["max_age"].get<std::int64_t>();
      auto const result = signing_loads(c["text"].get<std::string>(), c["salt"].get<std::string>(), keys, max_age,
                                        c["now"].get<std::int64_t>());
      if (c["value"].is_null()) {
        CHECK_FALSE(result.value.has_value());
        CHECK_FALSE(result.error.empty());
      } else {
        REQUIRE(result.value.has_value());
        CHECK(*result.value == c["value"]);
      }
    }
  }
}

TEST_CASE("the session auth hash matches Django's for each password", "[auth][signing]")
{
  auto const fixture = tandem::test::load_fixture("auth/auth_cases.json");
  for (auto const& c : fixture["auth_hash"]) {
    auto const password = c["password"].get<std::string>();
    auto const secret = c["secret"].get<std::string>();
    CHECK(session_auth_hash(password, secret) == c["hash"].get<std::string>());
    CHECK(session_auth_hash_matches(c["hash"].get<std::string>(), password, {secret, {}}));
    CHECK_FALSE(session_auth_hash_matches(c["hash"].get<std::string>(), password + "changed", {secret, {}}));
    CHECK(session_auth_hash_matches(c["hash"].get<std::string>(), password, {"rotated", {secret}}));
  }
}

TEST_CASE("garbage never throws and always fails", "[auth][signing]")
{
  signing_keys const keys{"k", {}};
  std::vector<std::string> const inputs{"", ":", "::", "a:b:c", ".:x:y", "%%%:1r31eq:zzz", std::string{"\0:\0", 3}};
  for (auto const& text : inputs) {
    auto const result = signing_loads(text, "salt", keys, 10, 0);
    CHECK_FALSE(result.value.has_value());
  }
}

// Found by tests/fuzz/fuzz_django_signing: an 11-digit base62 timestamp can exceed int64, and
// decoding it overflowed (undefined behaviour). Reaching it needs a valid signature, so the
// test signs its own value, as a holder of SECRET_KEY (or a leaked fallback) could.
TEST_CASE("a signed value whose timestamp does not fit int64 is refused as a bad timestamp", "[auth][signing]")
{
  signing_keys const keys{"k", {}};
  std::string_view const salt = "django.contrib.sessions.backends.signed_cookies";
  auto const signed_value = [&](std::string const& value) {
    auto const mac = salted_hmac_sha256(std::string{salt} + "signer", value, keys.secret_key);
    return value + ":" + tandem::crypto::base64url_encode(mac, false);
  };
  std::string const payload = "eyJhIjoxfQ";  // {"a":1}
  CHECK(signing_loads(signed_value(payload + ":AzL8n0Y58m7"), salt, keys, std::nullopt, 0).value);  // INT64_MAX
  for (std::string timestamp : {"AzL8n0Y58m8", "zzzzzzzzzzz"}) {
    auto const result = signing_loads(signed_value(payload + ":" + timestamp), salt, keys, std::nullopt, 0);
    CHECK_FALSE(result.value);
    CHECK(result.error == "bad timestamp");
  }
}
