// The tick state machine: forward-only server steps, client-side failure and retry.
#include "core/tick.hpp"

#include <array>

namespace tandem::core {

namespace {

constexpr std::array<std::string_view, 5> names{"pending", "sent", "delivered", "read", "failed"};

tick
target_of(tick_event event) noexcept
{
  switch (event) {
    case tick_event::acked: return tick::sent;
    case tick_event::delivered: return tick::delivered;
    case tick_event::read: return tick::read;
    case tick_event::failed: return tick::failed;
    case tick_event::retried: return tick::pending;
  }
  return tick::pending;
}

// Moves to a server step, stamping it and every step it implies that was never stamped.
tick_transition
advance_server(message_status status, tick target, unix_ms at) noexcept
{
  if (server_rank(status.state) >= server_rank(target)) return {status, false};
  int const rank = server_rank(target);
  if (!status.sent_at) status.sent_at = at;
  if (rank >= server_rank(tick::delivered) && !status.delivered_at) status.delivered_at = at;
  if (rank >= server_rank(tick::read) && !status.read_at) status.read_at = at;
  status.state = target;
  status.failed_at.reset();
  return {status, true};
}

}  // namespace

int
server_rank(tick state) noexcept
{
  switch (state) {
    case tick::pending:
    case tick::failed: return 0;
    case tick::sent: return 1;
    case tick::delivered: return 2;
    case tick::read: return 3;
  }
  return 0;
}

tick_transition
advance(message_status const& status, tick_event event, unix_ms at) noexcept
{
  tick const target = target_of(event);
  switch (event) {
    case tick_event::acked:
    case tick_event::delivered:
    case tick_event::read: return advance_server(status, target, at);
    case tick_event::failed: {
      if (status.state != tick::pending) return {status, false};
      message_status next = status;
      next.state = tick::failed;
      next.failed_at = at;
      return {next, true};
    }
    case tick_event::retried: {
      if (status.state != tick::failed) return {status, false};
      message_status next = status;
      next.state = tick::pending;
      next.failed_at.reset();
      return {next, true};
    }
  }
  return {status, false};
}

std::string_view
tick_name(tick state) noexcept
{
  auto const index = static_cast<std::size_t>(state);
  return index < names.size() ? names[index] : std::string_view{"pending"};
}

std::optional<tick>
tick_from_name(std::string_view name) noexcept
{
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<tick>(i);
  return std::nullopt;
}

}  // namespace tandem::core
