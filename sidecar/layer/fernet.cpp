// Fernet over OpenSSL's EVP AES-128-CBC (PKCS7 padding is EVP's default) and the tandem::crypto
// digests; the checks follow cryptography's fernet.py in the same order.
#include "layer/fernet.hpp"

#include <openssl/evp.h>

#include <limits>
#include <memory>
#include <stdexcept>

#include "crypto/base64url.hpp"
#include "crypto/digest.hpp"

namespace tandem::layer {

namespace {

constexpr unsigned char version_byte = 0x80;
constexpr std::size_t header_size = 1 + 8 + 16;  // version, timestamp, IV
constexpr std::size_t hmac_size = 32;
constexpr std::size_t block_size = 16;
constexpr std::int64_t max_clock_skew_s = 60;  // cryptography's _MAX_CLOCK_SKEW

using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

unsigned char const*
bytes_of(std::string_view text) noexcept
{
  return reinterpret_cast<unsigned char const*>(text.data());
}

// AES-128-CBC in either direction; nullopt when OpenSSL refuses (on decrypt: bad padding).
std::optional<std::string>
aes_cbc(bool encrypt, std::string_view key, std::string_view iv, std::string_view input)
{
  cipher_ctx ctx{EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free};
  if (!ctx) return std::nullopt;
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_128_cbc(), nullptr, bytes_of(key), bytes_of(iv), encrypt ? 1 : 0) != 1)
    return std::nullopt;
  std::string out(input.size() + block_size, '\0');
  auto* dest = reinterpret_cast<unsigned char*>(out.data());
  int written = 0;
  int final_written = 0;
  if (EVP_CipherUpdate(ctx.get(), dest, &written, bytes_of(input), static_cast<int>(input.size())) != 1) return std::nullopt;
  if (EVP_CipherFinal_ex(ctx.get(), dest + written, &final_written) != 1) return std::nullopt;
  out.resize(static_cast<std::size_t>(written) + static_cast<std::size_t>(final_written));
  return out;
}

// cryptography: reject when ts + ttl < now or now + 60 < ts, without overflowing on hostile
// timestamps (a token's 8 bytes are unsigned and may hold anything).
char const*
age_error(std::uint64_t stamp, std::int64_t now_s, std::int64_t ttl_s) noexcept
{
  constexpr auto int_max = std::numeric_limits<std::int64_t>::max();
  if (stamp > static_cast<std::uint64_t>(int_max)) return "fernet: token timestamp is in the future";
  auto const ts = static_cast<std::int64_t>(stamp);
  std::int64_t oldest = 0;
  if (!__builtin_sub_overflow(now_s, ttl_s, &oldest) && ts < oldest) return "fernet: token expired";
  std::int64_t latest = 0;
  if (!__builtin_add_overflow(now_s, max_clock_skew_s, &latest) && ts > latest)
    return "fernet: token timestamp is in the future";
  return nullptr;
}

}  // namespace

fernet_keyring::fernet_keyring(std::vector<std::string> const& secrets)
{
  keys_.reserve(secrets.size());
  for (auto const& secret : secrets) {
    std::string const digest = crypto::sha256(secret);
    keys_.push_back({digest.substr(0, 16), digest.substr(16, 16)});
  }
}

std::string
fernet_keyring::encrypt(std::string_view plaintext, std::int64_t now_s, std::array<unsigned char, 16> const& iv) const
{
  if (keys_.empty()) throw std::logic_error{"fernet: no key to encrypt with"};
  if (now_s < 0) throw std::invalid_argument{"fernet: timestamp before 1970"};
  auto const& k = keys_.front();
  std::string_view const iv_text{reinterpret_cast<char const*>(iv.data()), iv.size()};
  auto ciphertext = aes_cbc(true, k.encryption, iv_text, plaintext);
  if (!ciphertext) throw std::runtime_error{"fernet: AES encryption failed"};
  std::string token;
  token.reserve(header_size + ciphertext->size() + hmac_size);
  token += static_cast<char>(version_byte);
  auto const stamp = static_cast<std::uint64_t>(now_s);
  for (int shift = 56; shift >= 0; shift -= 8) token += static_cast<char>((stamp >> shift) & 0xFF);
  token += iv_text;
  token += *ciphertext;
  token += crypto::hmac_sha256(k.signing, token);
  return crypto::base64url_encode(token, /*pad=*/true);
}

decrypt_result
fernet_keyring::decrypt(std::string_view token, std::int64_t now_s, std::optional<std::int64_t> ttl_s) const noexcept
{
  try {
    // Python's urlsafe_b64decode insists on the '=' padding, so an unpadded token is refused.
    if (token.empty() || token.size() % 4 != 0) return {std::nullopt, "fernet: token is not padded base64url"};
    auto const data = crypto::base64url_decode(token);
    if (!data) return {std::nullopt, "fernet: token is not base64url"};
    if (data->size() < 9 || static_cast<unsigned char>(data->front()) != version_byte)
      return {std::nullopt, "fernet: unknown token version"};
    std::uint64_t stamp = 0;
    for (std::size_t i = 1; i < 9; ++i) stamp = (stamp << 8) | static_cast<unsigned char>((*data)[i]);
    if (ttl_s) {
      if (char const* error = age_error(stamp, now_s, *ttl_s)) return {std::nullopt, error};
    }
    // A valid token holds at least one cipher block; anything shorter cannot decrypt.
    if (data->size() < header_size + block_size + hmac_size || (data->size() - header_size - hmac_size) % block_size != 0)
      return {std::nullopt, "fernet: token has a bad length"};
    std::string_view const all{*data};
    auto const signed_part = all.substr(0, all.size() - hmac_size);
    auto const mac = all.substr(all.size() - hmac_size);
    auto const iv = all.substr(9, 16);
    auto const ciphertext = all.substr(header_size, all.size() - header_size - hmac_size);
    bool signature_matched = false;
    for (auto const& k : keys_) {
      if (!crypto::constant_time_equal(crypto::hmac_sha256(k.signing, signed_part), mac)) continue;
      signature_matched = true;
      if (auto plaintext = aes_cbc(false, k.encryption, iv, ciphertext)) return {std::move(plaintext), {}};
    }
    return {std::nullopt, signature_matched ? "fernet: bad padding" : "fernet: bad signature"};
  } catch (...) {  // std::bad_alloc
    return {std::nullopt, "out of memory"};
  }
}

}  // namespace tandem::layer
