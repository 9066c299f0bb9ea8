// Typing indicators for one worker's users: the core's rules decide which start/stop notices
// are forwarded (at most one start per user and chat per interval, stop on request, on a sent
// message, when the socket goes); forwarded ones are published to the chat's group and kept
// in Redis with their expiry, so a socket opening on any process sees who is typing.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "asio/asio.hpp"
#include "core/typing.hpp"
#include "layer/channel_layer.hpp"
#include "ops/metrics.hpp"
#include "protocol/typing_view.hpp"
#include "service/messaging_settings.hpp"
#include "service/presence_settings.hpp"

namespace tandem::service {

class typing {
 public:
  typing(layer::channel_layer& layer, typing_settings const& settings, messaging_settings const& groups,
         ops::thread_metrics& metrics);

  awaitable<void> start(std::int64_t user, std::string const& name, std::int64_t chat);
  awaitable<void> stop(std::int64_t user, std::string const& name, std::int64_t chat);
  awaitable<void> message_sent(std::int64_t user, std::string const& name, std::int64_t chat);
  /// Who is typing in `chat` now, from Redis (for a socket that just opened).
  awaitable<std::vector<protocol::typing_event>> current(std::int64_t chat);

 private:
  awaitable<void> forward(std::int64_t user, std::string const& name, std::int64_t chat, core::typing_signal signal,
                          core::unix_ms now);
  std::string key(std::int64_t chat) const;

  layer::channel_layer& layer_;
  typing_settings const& settings_;
  messaging_settings const& groups_;
  ops::thread_metrics& metrics_;
  std::map<std::pair<std::int64_t, std::int64_t>, core::typist_state> typists_;  // (user, chat)
  std::int64_t last_order_ = 0;
};

}  // namespace tandem::service
