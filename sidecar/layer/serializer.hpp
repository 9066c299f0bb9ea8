// channels_redis's serialize/deserialize: the bytes stored as sorted-set members are
// random prefix | payload, where payload is the msgpack (or JSON) body, Fernet-encrypted when
// symmetric encryption keys are configured.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "layer/fernet.hpp"
#include "layer/message.hpp"

namespace tandem::layer {

enum class serializer_format { msgpack, json };

/// The channels_redis options that shape the stored bytes (same names, same defaults).
struct serializer_config {
  serializer_format format = serializer_format::msgpack;
  std::vector<std::string> symmetric_encryption_keys;
  std::size_t random_prefix_length = 12;
  std::int64_t expiry_s = 60;  // decryption allows expiry + 10 s, as channels_redis does
};

/// Fills `n` bytes at `out` with random bytes (the composition root passes a real source).
using random_fill = std::function<void(unsigned char* out, std::size_t n)>;

class serializer {
public:
  serializer(serializer_config config, random_fill random);

  /// Encode, encrypt with the first key under a fresh random IV (if keys are set), then put
  /// random_prefix_length random bytes in front. The IV is drawn before the prefix, as in
  /// Python. Throws std::invalid_argument for a message the format cannot carry.
  std::string serialize(message const& m, std::int64_t now_s) const;

  /// Drop the prefix, decrypt (ttl = expiry + 10) if keys are set, decode. Never throws.
  /// `any_age`: no ttl, for reading who an expired message was for (never delivered).
  decode_result deserialize(std::string_view stored, std::int64_t now_s, bool any_age = false) const noexcept;

  serializer_config const& config() const noexcept { return config_; }

private:
  serializer_config config_;
  fernet_keyring keys_;
  random_fill random_;
};

}  // namespace tandem::layer
