// Fernet tokens as the cryptography package makes and checks them, with channels_redis's key
// derivation (sha256 of each configured secret). Pure: time and IV are parameters.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::layer {

/// The plaintext, or why the token was refused (plaintext is empty exactly when error is set).
struct decrypt_result {
  std::optional<std::string> plaintext;
  std::string error;
};

/// channels_redis's MultiFernet: encrypt with the first key, decrypt with any.
class fernet_keyring {
public:
  /// Each secret's sha256 gives one key: bytes 0-15 sign (HMAC-SHA256), 16-31 encrypt (AES-128).
  explicit fernet_keyring(std::vector<std::string> const& secrets);

  bool empty() const noexcept { return keys_.empty(); }

  /// base64url (with '=' padding) of 0x80 | now_s (8 bytes, big-endian) | iv |
  /// AES-128-CBC(PKCS7(plaintext)) | HMAC-SHA256 of all before, under the first key.
  /// Throws std::logic_error on an empty keyring and std::invalid_argument for now_s < 0.
  std::string encrypt(std::string_view plaintext, std::int64_t now_s, std::array<unsigned char, 16> const& iv) const;

  /// Tries every key in order. Refuses bad base64 (padding required), a version byte other than
  /// 0x80, a bad HMAC (compared in constant time), bad padding and, when ttl_s is set, tokens
  /// older than ttl_s or stamped more than 60 s in the future. Never throws.
  decrypt_result decrypt(std::string_view token, std::int64_t now_s, std::optional<std::int64_t> ttl_s) const noexcept;

private:
  struct key {
    std::string signing;     // 16 bytes
    std::string encryption;  // 16 bytes
  };
  std::vector<key> keys_;
};

}  // namespace tandem::layer
