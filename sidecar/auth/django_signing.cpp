// TimestampSigner verification and signing.loads decoding, as in django/core/signing.py.
#include "auth/django_signing.hpp"

#include <zlib.h>

#include <limits>

#include "crypto/base64url.hpp"
#include "crypto/digest.hpp"

namespace tandem::auth {

namespace {

constexpr std::string_view auth_hash_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash";
constexpr std::size_t max_inflated_bytes = 1 << 20;  // a session larger than 1 MiB is refused

std::optional<std::int64_t>
base62_decode(std::string_view text)
{
  static constexpr std::string_view alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  if (text.empty() || text.size() > 11) return std::nullopt;
  bool const negative = text.front() == '-';
  if (negative) text.remove_prefix(1);
  std::int64_t value = 0;
  for (char c : text) {
    auto const digit = alphabet.find(c);
    if (digit == std::string_view::npos) return std::nullopt;
    // Python's ints are unbounded; here a timestamp beyond int64 is refused, not overflowed.
    auto const d = static_cast<std::int64_t>(digit);
    if (value > (std::numeric_limits<std::int64_t>::max() - d) / 62) return std::nullopt;
    value = value * 62 + d;
  }
  return negative ? -value : value;
}

std::optional<std::string>
inflate(std::string_view compressed)
{
  z_stream stream{};
  if (inflateInit(&stream) != Z_OK) return std::nullopt;
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  char chunk[16384];
  int status = Z_OK;
  while (status == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.avail_out = sizeof chunk;
    status = ::inflate(&stream, Z_NO_FLUSH);
    out.append(chunk, sizeof chunk - stream.avail_out);
    if (out.size() > max_inflated_bytes) status = Z_MEM_ERROR;  // a zip bomb, not a session
  }
  inflateEnd(&stream);
  if (status != Z_STREAM_END) return std::nullopt;
  return out;
}

bool
signature_matches(std::string_view value, std::string_view signature, std::string_view salt, signing_keys const& keys)
{
  std::string const key_salt = std::string{salt} + "signer";
  auto check = [&](std::string const& secret) {
    return crypto::constant_time_equal(
        signature, crypto::base64url_encode(salted_hmac_sha256(key_salt, value, secret), false));
  };
  if (check(keys.secret_key)) return true;
  for (auto const& fallback : keys.fallbacks)
    if (check(fallback)) return true;
  return false;
}

}  // namespace

std::string
salted_hmac_sha256(std::string_view key_salt, std::string_view value, std::string_view secret)
{
  std::string const key = crypto::sha256(std::string{key_salt} + std::string{secret});
  return crypto::hmac_sha256(key, value);
}

loads_result
signing_loads(std::string_view text, std::string_view salt, signing_keys const& keys,
              std::optional<std::int64_t> max_age_s, std::int64_t now_s)
{
  auto const sig_at = text.rfind(':');
  if (sig_at == std::string_view::npos) return {std::nullopt, "no signature"};
  std::string_view const value = text.substr(0, sig_at);
  if (!signature_matches(value, text.substr(sig_at + 1), salt, keys)) return {std::nullopt, "bad signature"};
  auto const ts_at = value.rfind(':');
  if (ts_at == std::string_view::npos) return {std::nullopt, "no timestamp"};
  auto const timestamp = base62_decode(value.substr(ts_at + 1));
  if (!timestamp) return {std::nullopt, "bad timestamp"};
  if (max_age_s && now_s - *timestamp > *max_age_s) return {std::nullopt, "expired"};

  std::string_view payload = value.substr(0, ts_at);
  bool const compressed = payload.starts_with('.');
  if (compressed) payload.remove_prefix(1);
  auto data = crypto::base64url_decode(payload);
  if (!data) return {std::nullopt, "bad base64"};
  if (compressed) {
    data = inflate(*data);
    if (!data) return {std::nullopt, "bad compression"};
  }
  auto parsed = nlohmann::json::parse(*data, nullptr, false);
  if (parsed.is_discarded()) return {std::nullopt, "bad json"};
  return {std::move(parsed), {}};
}

std::string
session_auth_hash(std::string_view password_hash, std::string_view secret)
{
  return crypto::to_hex(salted_hmac_sha256(auth_hash_salt, password_hash, secret));
}

bool
session_auth_hash_matches(std::string_view session_hash, std::string_view password_hash, signing_keys const& keys)
{
  if (crypto::constant_time_equal(session_hash, session_auth_hash(password_hash, keys.secret_key))) return true;
  for (auto const& fallback : keys.fallbacks)
    if (crypto::constant_time_equal(session_hash, session_auth_hash(password_hash, fallback))) return true;
  return false;
}

}  // namespace tandem::auth
