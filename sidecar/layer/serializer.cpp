// The one place that knows the order of the layers in a stored member: prefix, then
// (encrypted) body, exactly as channels_redis.serializers.BaseMessageSerializer.
#include "layer/serializer.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <stdexcept>
#include <utility>

#include "layer/json_codec.hpp"
#include "layer/msgpack_codec.hpp"

namespace tandem::layer {

serializer::serializer(serializer_config config, random_fill random)
    : config_{std::move(config)}, keys_{config_.symmetric_encryption_keys}, random_{std::move(random)}
{
  if (!random_) throw std::invalid_argument{"serializer: a random source is required"};
}

std::string
serializer::serialize(message const& m, std::int64_t now_s) const
{
  std::string body = config_.format == serializer_format::json ? encode_json(m) : encode_msgpack(m);
  if (!keys_.empty()) {
    std::array<unsigned char, 16> iv{};
    random_(iv.data(), iv.size());
    body = keys_.encrypt(body, now_s, iv);
  }
  std::string stored(config_.random_prefix_length, '\0');
  if (!stored.empty()) random_(reinterpret_cast<unsigned char*>(stored.data()), stored.size());
  stored += body;
  return stored;
}

decode_result
serializer::deserialize(std::string_view stored, std::int64_t now_s, bool any_age) const noexcept
{
  try {
    // Python slices past the end to an empty body, which then fails to decode; same here.
    auto body = stored.substr(std::min(config_.random_prefix_length, stored.size()));
    std::string plaintext;
    if (!keys_.empty()) {
      auto const ttl = any_age ? std::nullopt : std::optional<std::int64_t>{config_.expiry_s + 10};
      auto decrypted = keys_.decrypt(body, now_s, ttl);
      if (!decrypted.plaintext) return {std::nullopt, std::move(decrypted.error)};
      plaintext = std::move(*decrypted.plaintext);
      body = plaintext;
    }
    return config_.format == serializer_format::json ? decode_json(body) : decode_msgpack(body);
  } catch (...) {  // std::bad_alloc
    return {std::nullopt, "out of memory"};
  }
}

}  // namespace tandem::layer
