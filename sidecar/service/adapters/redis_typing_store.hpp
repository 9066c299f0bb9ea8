// Typists in Redis, on the channel layer's connections: one sorted set per chat
// (<prefix>tandem:typing:{chat:<chat>}, hash-tagged so it is one slot; member "<user>:<name>", score its expiry in ms), itself
// expiring when nobody types any more.
#pragma once

#include "layer/channel_layer.hpp"
#include "service/ports/typing_store.hpp"

namespace tandem::service {

class redis_typing_store final : public typing_store {
 public:
  explicit redis_typing_store(layer::channel_layer& layer) : layer_{layer} {}

  awaitable<bool> add(std::int64_t chat, std::string member, core::unix_ms expires_at, core::unix_ms now,
                      std::chrono::milliseconds expiry) override;
  awaitable<void> remove(std::int64_t chat, std::string member) override;
  awaitable<std::vector<typist_entry>> current(std::int64_t chat, core::unix_ms now) override;

 private:
  std::string key(std::int64_t chat) const;

  layer::channel_layer& layer_;
};

}  // namespace tandem::service
