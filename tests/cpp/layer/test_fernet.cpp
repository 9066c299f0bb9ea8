// Fernet tokens are byte-identical to cryptography's for fixed time and IV, and decryption
// accepts and refuses exactly what Python's MultiFernet.decrypt does.
#include "layer/fernet.hpp"

#include <catch2/catch.hpp>

#include <limits>
#include <stdexcept>

#include "crypto/base64url.hpp"
#include "crypto/digest.hpp"
#include "layer/golden_values.hpp"

using namespace tandem::layer;
using tandem::test::bytes_from_hex;

namespace {

std::array<unsigned char, 16>
iv_from_hex(std::string const& hex)
{
  std::array<unsigned char, 16> iv{};
  auto const bytes = bytes_from_hex(hex);
  for (std::size_t k = 0; k < iv.size(); ++k) iv[k] = static_cast<unsigned char>(bytes[k]);
  return iv;
}

nlohmann::json const&
fernet_golden()
{
  return tandem::test::golden()["fernet"];
}

}  // namespace

TEST_CASE("a secret's key is the sha256 of its UTF-8 bytes, as channels_redis derives it", "[layer][fernet]")
{
  auto const digest = tandem::crypto::sha256(fernet_golden()["secret"].get<std::string>());
  CHECK(tandem::crypto::base64url_encode(digest, true) == "GG73bp1qcj7LVw1NnCh0h9AB5dNfftSjEzUKQHlQMY4=");
  CHECK(fernet_golden()["key_b64"] == "GG73bp1qcj7LVw1NnCh0h9AB5dNfftSjEzUKQHlQMY4=");
  CHECK(tandem::crypto::to_hex(digest) == fernet_golden()["key_hex"].get<std::string>());
}

TEST_CASE("encrypting with fixed time and IV gives cryptography's token byte for byte", "[layer][fernet]")
{
  fernet_keyring const keys{{fernet_golden()["secret"].get<std::string>()}};
  for (auto const& t : fernet_golden()["tokens"]) {
    auto const plaintext = bytes_from_hex(t["plaintext_hex"].get<std::string>());
    CAPTURE(plaintext.size());
    auto const token = keys.encrypt(plaintext, t["now"].get<std::int64_t>(), iv_from_hex(t["iv_hex"].get<std::string>()));
    CHECK(token == t["token"].get<std::string>());
    auto const back = keys.decrypt(token, t["now"].get<std::int64_t>(), 70);
    REQUIRE(back.plaintext);
    CHECK(*back.plaintext == plaintext);
  }
}

TEST_CASE("decryption accepts and refuses exactly the tokens Python does", "[layer][fernet]")
{
  for (auto const& d : fernet_golden()["decrypts"]) {
    CAPTURE(d["name"].get<std::string>());
    fernet_keyring const keys{d["keys"].get<std::vector<std::string>>()};
    std::optional<std::int64_t> ttl;
    if (!d["ttl"].is_null()) ttl = d["ttl"].get<std::int64_t>();
    auto const r = keys.decrypt(d["token"].get<std::string>(), d["now"].get<std::int64_t>(), ttl);
    if (d["plaintext_hex"].is_null()) {
      CHECK_FALSE(r.plaintext.has_value());
      CHECK_FALSE(r.error.empty());
    } else {
      REQUIRE(r.plaintext.has_value());
      CHECK(*r.plaintext == bytes_from_hex(d["plaintext_hex"].get<std::string>()));
    }
  }
}

TEST_CASE("the first key encrypts and any key decrypts", "[layer][fernet]")
{
  std::array<unsigned char, 16> const iv{};
  fernet_keyring const rotated{{"new", "old"}};
  fernet_keyring const old_only{{"old"}};
  fernet_keyring const new_only{{"new"}};
  auto const token = old_only.encrypt("payload", 1000, iv);
  CHECK(rotated.decrypt(token, 1000, 70).plaintext == "payload");
  CHECK_FALSE(new_only.decrypt(token, 1000, 70).plaintext);
  CHECK(new_only.decrypt(rotated.encrypt("x", 1000, iv), 1000, 70).plaintext == "x");
}

TEST_CASE("hostile timestamps are judged without overflow", "[layer][fernet]")
{
  fernet_keyring const keys{{"k"}};
  std::array<unsigned char, 16> const iv{};
  auto const token = keys.encrypt("x", std::numeric_limits<std::int64_t>::max(), iv);
  CHECK_FALSE(keys.decrypt(token, 0, 70).plaintext);
  CHECK(keys.decrypt(token, 0, std::nullopt).plaintext == "x");
  CHECK(keys.decrypt(keys.encrypt("x", 0, iv), std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::max()).plaintext == "x");
}

TEST_CASE("an empty keyring cannot encrypt and a negative time is refused", "[layer][fernet]")
{
  std::array<unsigned char, 16> const iv{};
  fernet_keyring const none{{}};
  CHECK(none.empty());
  CHECK_THROWS_AS(none.encrypt("x", 1, iv), std::logic_error);
  CHECK_FALSE(none.decrypt("gAAAAA==", 1, 70).plaintext);
  CHECK_THROWS_AS(fernet_keyring{{"k"}}.encrypt("x", -1, iv), std::invalid_argument);
}
