// Typing rate limit, expiry and wording.
#include "core/typing.hpp"

namespace tandem::core {

namespace {

typing_step
stop_if_typing(typist_state const& state, unix_ms now)
{
  if (!state.typing) return {state, typing_signal::none};
  typist_state next = state;
  next.typing = false;
  next.last_activity = now;
  return {next, typing_signal::stop};
}

}  // namespace

typing_step
on_typing_start(typist_state const& state, unix_ms now, typing_policy const& policy)
{
  typist_state next = state;
  next.typing = true;
  next.last_activity = now;
  bool const allowed =
      !state.last_forwarded_start || now - *state.last_forwarded_start >= policy.start_interval_ms;
  if (!allowed) return {next, typing_signal::none};
  next.last_forwarded_start = now;
  return {next, typing_signal::start};
}

typing_step
on_typing_stop(typist_state const& state, unix_ms now)
{
  return stop_if_typing(state, now);
}

typing_step
on_message_sent(typist_state const& state, unix_ms now)
{
  return stop_if_typing(state, now);
}

typing_step
on_expiry_check(typist_state const& state, unix_ms now, typing_policy const& policy)
{
  if (!state.typing || now - state.last_activity < policy.server_expiry_ms) return {state, typing_signal::none};
  return stop_if_typing(state, now);
}

bool
client_should_stop(unix_ms last_keystroke, unix_ms now, typing_policy const& policy) noexcept
{
  return now - last_keystroke >= policy.client_idle_stop_ms;
}

std::string
typing_text(std::span<std::string const> names)
{
  switch (names.size()) {
    case 0: return "";
    case 1: return names[0] + " is typing…";
    case 2: return names[0] + " and " + names[1] + " are typing…";
    case 3: return names[0] + ", " + names[1] + " and " + names[2] + " are typing…";
    default: return std::to_string(names.size()) + " people are typing…";
  }
}

}  // namespace tandem::core
