// Which endpoint an upgrade request names: `/ws/chat/<chat_id>/`, `/ws/notifications/`, the
// admin paths, the test-only `/ws/echo/`, or nothing. Pure string work, so every odd target is unit-tested.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tandem::protocol {

enum class endpoint : std::uint8_t { not_found, chat, notifications, healthz, readyz, metrics, echo, shootout };

struct route {
  endpoint kind = endpoint::not_found;
  std::int64_t chat_id = 0;  // set for endpoint::chat
  int version = 1;           // the `v` query parameter (docs/protocol.md)
  int utc_offset_minutes = 0;  // the `tz` query parameter: minutes east of UTC (-840..840)
  std::string error;         // set when the path is known but the request is bad (HTTP 400)
};

inline constexpr int protocol_version = 1;

/// Parses a request target such as "/ws/chat/42/?v=1".
route parse_route(std::string_view target);

std::string_view endpoint_name(endpoint kind) noexcept;

}  // namespace tandem::protocol
