// Django's django.core.signing as the session machinery uses it (Django >= 4.1): verifying
// TimestampSigner values made with SECRET_KEY or any SECRET_KEY_FALLBACKS, decoding
// signing.dumps payloads, and the session auth hash that ties a session to a password.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace tandem::auth {

/// SECRET_KEY first, then SECRET_KEY_FALLBACKS in order.
struct signing_keys {
  std::string secret_key;
  std::vector<std::string> fallbacks;
};

/// salted_hmac(key_salt, value, secret, algorithm="sha256"): HMAC-SHA256 keyed with
/// sha256(key_salt + secret). Raw digest.
std::string salted_hmac_sha256(std::string_view key_salt, std::string_view value, std::string_view secret);

struct loads_result {
  std::optional<nlohmann::json> value;  // the decoded object when valid
  std::string error;                    // why not: "bad signature", "expired", ...
};

/// signing.loads(text, salt=salt, max_age=max_age_s): verifies the signature with each key,
/// the timestamp's age when max_age_s is given (clock passed in), then base64-decodes,
/// inflates ("." prefix) and parses the JSON. Never throws.
loads_result signing_loads(std::string_view text, std::string_view salt, signing_keys const& keys,
                           std::optional<std::int64_t> max_age_s, std::int64_t now_s);

/// AbstractBaseUser.get_session_auth_hash() for a stored password hash, as 64 hex chars.
std::string session_auth_hash(std::string_view password_hash, std::string_view secret);

/// True when `session_hash` was made from `password_hash` with any of the keys.
bool session_auth_hash_matches(std::string_view session_hash, std::string_view password_hash,
                               signing_keys const& keys);

}  // namespace tandem::auth
