// What a channel-layer event addressed to a socket becomes (docs/protocol.md, "Channel-layer
// events become frames"): a text frame for the client, a close, or a logged drop.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace tandem::protocol {

struct event_action {
  enum class kind : std::uint8_t { send_text, close, drop };
  kind what = kind::drop;
  std::string text;       // send_text: the frame; drop: why
  std::uint16_t close_code = 0;
};

/// The close code `tandem.disconnect` uses when the event names none.
inline constexpr std::uint16_t default_disconnect_code = 4401;

event_action event_to_action(nlohmann::ordered_json const& event);

}  // namespace tandem::protocol
