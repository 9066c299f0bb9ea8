// What a channel-layer event addressed to a socket becomes (docs/protocol.md, "Channel-layer
// events become frames"): a text frame for the client, a close, or a logged drop.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/privacy.hpp"

namespace tandem::protocol {

struct event_action {
  // chat_message: a stored message (send_text plus its chat, seq and sender, which the socket's
  // sync gate and typing view need); typing and presence: per-socket state the session turns
  // into frames itself (batched typing, presence worded for the socket's time zone).
  // membership: the socket's user joined (member) or left a chat (tandem.membership).
  // privacy: the socket's user changed their presence setting (tandem.privacy).
  enum class kind : std::uint8_t { send_text, chat_message, typing, presence, membership, privacy, close, drop };
  kind what = kind::drop;
  std::string text;       // send_text, chat_message: the frame; drop: why; close: the session's fingerprint, if only one session's sockets close
  std::uint16_t close_code = 0;
  std::int64_t chat = 0;  // chat_message, membership
  bool member = false;    // membership
  core::visibility visibility = core::visibility::everyone;  // privacy
  std::int64_t seq = 0;
  std::int64_t sender = 0;
};

/// The close code `tandem.disconnect` uses when the event names none.
inline constexpr std::uint16_t default_disconnect_code = 4401;

event_action event_to_action(nlohmann::ordered_json const& event);

}  // namespace tandem::protocol
