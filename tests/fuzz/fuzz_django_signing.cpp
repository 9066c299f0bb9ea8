// libFuzzer target: a signed-cookie session value. The input is checked twice: as sent (almost
// always "bad signature"), and signed with the test key so the fuzzer reaches what runs after a
// good signature: the base62 timestamp, base64, zlib and JSON (a leaked or weak SECRET_KEY must
// still not crash the sidecar).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/django_signing.hpp"
#include "crypto/base64url.hpp"

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
  using namespace tandem;
  static auth::signing_keys const keys{"test-secret-key", {"old-key"}};
  constexpr std::string_view salt = "django.contrib.sessions.backends.signed_cookies";
  std::string_view const text{reinterpret_cast<char const*>(data), size};
  std::int64_t const now_s = 1700000000;

  (void)auth::signing_loads(text, salt, keys, 1209600, now_s);

  std::string const key_salt = std::string{salt} + "signer";
  std::string signed_text{text};
  signed_text += ':';
  signed_text += crypto::base64url_encode(auth::salted_hmac_sha256(key_salt, text, keys.secret_key), false);
  (void)auth::signing_loads(signed_text, salt, keys, 1209600, now_s);
  (void)auth::signing_loads(signed_text, salt, keys, std::nullopt, now_s);
  return 0;
}
