// Typing indicators for one worker's users: the core's rules decide which start/stop notices
// are forwarded (at most one start per user and chat per interval, stop on request, on a sent
// message, when the socket goes); forwarded ones are published to the chat's group and kept
// in the typing store (Redis) with their expiry, so a socket opening on any process sees who is
// typing. Depends only on the ports (typing store, message bus, clock).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "asio/asio.hpp"
#include "core/typing.hpp"
#include "ops/metrics.hpp"
#include "protocol/typing_view.hpp"
#include "service/messaging_settings.hpp"
#include "service/ports/clock.hpp"
#include "service/ports/message_bus.hpp"
#include "service/ports/typing_store.hpp"
#include "service/presence_settings.hpp"

namespace tandem::service {

class typing {
 public:
  typing(typing_store& store, message_bus& bus, clock const& clock, typing_settings const& settings,
         messaging_settings const& groups, ops::thread_metrics& metrics);

  awaitable<void> start(std::int64_t user, std::string const& name, std::int64_t chat);
  awaitable<void> stop(std::int64_t user, std::string const& name, std::int64_t chat);
  awaitable<void> message_sent(std::int64_t user, std::string const& name, std::int64_t chat);
  /// Who is typing in `chat` now, from the store (for a socket that just opened).
  awaitable<std::vector<protocol::typing_event>> current(std::int64_t chat);

 private:
  awaitable<void> forward(std::int64_t user, std::string const& name, std::int64_t chat, core::typing_signal signal,
                          core::unix_ms now);

  typing_store& store_;
  message_bus& bus_;
  clock const& clock_;
  typing_settings const& settings_;
  messaging_settings const& groups_;
  ops::thread_metrics& metrics_;
  std::map<std::pair<std::int64_t, std::int64_t>, core::typist_state> typists_;  // (user, chat)
  std::int64_t last_order_ = 0;
};

}  // namespace tandem::service
