// Presence counts in Redis, on the channel layer's connections: every change is one of the Lua
// scripts of presence_scripts.hpp, so each step is atomic across sidecar processes. This worker's
// lease is its channel layer's client prefix.
#pragma once

#include "layer/channel_layer.hpp"
#include "service/ports/presence_store.hpp"

namespace tandem::service {

class redis_presence_store final : public presence_store {
 public:
  explicit redis_presence_store(layer::channel_layer& layer) : layer_{layer} {}

  awaitable<lease_reply> renew_lease(core::unix_ms now, std::chrono::milliseconds ttl) override;
  awaitable<sweep_reply> sweep(core::unix_ms now, std::size_t batch, std::chrono::milliseconds ttl) override;
  awaitable<restore_reply> restore(core::unix_ms now, std::chrono::milliseconds ttl,
                                   std::unordered_map<std::int64_t, int> counts) override;
  awaitable<connect_reply> connect(std::int64_t user, core::unix_ms now, std::chrono::milliseconds ttl) override;
  awaitable<disconnect_reply> disconnect(std::int64_t user, core::unix_ms closed_at) override;
  awaitable<settle_reply> settle(std::int64_t user, core::unix_ms now) override;
  awaitable<release_reply> release(core::unix_ms now) override;
  awaitable<std::optional<std::int64_t>> live_count(std::int64_t user, core::unix_ms now) override;
  awaitable<std::optional<std::vector<bool>>> online(std::vector<std::int64_t> users) override;

 private:
  awaitable<layer::resp_batch> eval(std::string_view script, std::vector<std::string> args);
  std::string key_prefix() const;

  layer::channel_layer& layer_;
};

}  // namespace tandem::service
