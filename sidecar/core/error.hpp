// Every error a client can see: a stable numeric code, a one-sentence message and whether a
// retry can succeed. Codes are grouped in ranges (see docs/protocol.md) and never reused.
#pragma once

#include <cstdint>
#include <string_view>

namespace tandem::core {

enum class error_code : std::uint16_t {
  // 4000-4099: the frame itself is wrong; resending it unchanged fails again.
  bad_frame = 4000,          // not a JSON object / not valid UTF-8
  unknown_type = 4001,       // "type" names no frame the sidecar or the bridge handles
  missing_field = 4002,      // a required field is absent
  invalid_field = 4003,      // a field has the wrong JSON type or is out of range
  body_empty = 4004,         // message body is empty or only white space
  body_too_long = 4005,      // message body exceeds frame_limits::max_body_chars
  body_not_utf8 = 4006,      // message body is not valid UTF-8
  client_id_invalid = 4007,  // client_id is empty, too long or has characters outside [A-Za-z0-9_-]
  chat_id_invalid = 4008,    // chat id is not a positive integer
  message_id_invalid = 4009, // message id / sequence is not a positive integer
  frame_too_large = 4010,    // the WebSocket message exceeds the configured frame size
  // 4100-4199: who you are / what you may do.
  unauthenticated = 4101,
  forbidden = 4103,          // e.g. not a participant of the chat
  // 4200-4299: slow down; retry after the given delay.
  rate_limited = 4290,
  // 5000-5099: the sidecar's dependencies; retryable.
  store_unavailable = 5030,  // PostgreSQL unreachable or its circuit breaker is open
  layer_unavailable = 5031,  // Redis unreachable or its circuit breaker is open
  internal = 5000,
};

/// Stable snake_case name of the code, as sent in error frames ("body_too_long").
std::string_view error_name(error_code code) noexcept;

/// One human sentence describing the code, safe to show to an end user.
std::string_view error_message(error_code code) noexcept;

/// True when sending the same frame again later can succeed (rate limits, outages).
bool is_retryable(error_code code) noexcept;

}  // namespace tandem::core
