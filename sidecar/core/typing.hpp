// Typing indicator rules for one user in one chat: which start/stop signals are forwarded to
// the other participants, the server-side expiry, and how several typists are worded.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "core/time.hpp"

namespace tandem::core {

struct typing_policy {
  unix_ms start_interval_ms = 2000;   // at most one forwarded "start" per interval
  unix_ms server_expiry_ms = 6000;    // no keystroke for this long: the server says "stop"
  unix_ms client_idle_stop_ms = 1000; // the client sends "stop" this long after the last key
};

/// What the server remembers of one typist in one chat.
struct typist_state {
  bool typing = false;
  std::optional<unix_ms> last_forwarded_start;
  unix_ms last_activity = 0;

  bool operator==(typist_state const&) const = default;
};

enum class typing_signal : std::uint8_t { none = 0, start = 1, stop = 2 };

struct typing_step {
  typist_state state;
  typing_signal forward = typing_signal::none;  // what to send to the other participants
};

/// A keystroke notice. Forwards "start" unless one was forwarded within start_interval_ms;
/// while typing goes on, a start is forwarded again each interval so remote expiries refresh.
typing_step on_typing_start(typist_state const& state, unix_ms now, typing_policy const& policy);

/// The client said stop: forward "stop" if the others were told "start".
typing_step on_typing_stop(typist_state const& state, unix_ms now);

/// Sending a message ends typing in that chat.
typing_step on_message_sent(typist_state const& state, unix_ms now);

/// Periodic check: a typist silent for server_expiry_ms (client vanished) is stopped.
typing_step on_expiry_check(typist_state const& state, unix_ms now, typing_policy const& policy);

/// Client side: true when the last keystroke is old enough to send "stop".
bool client_should_stop(unix_ms last_keystroke, unix_ms now, typing_policy const& policy) noexcept;

/// "Ann is typing…", "Ann and Bo are typing…", "Ann, Bo and Cy are typing…",
/// "4 people are typing…"; empty for no typists.
std::string typing_text(std::span<std::string const> names);

}  // namespace tandem::core
