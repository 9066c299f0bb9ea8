// Every error a client can see: a stable numeric code, a one-sentence message and whether a
// retry can succeed. Codes are grouped in ranges (see docs/protocol.md) and never reused.
// They live in their own space, 100-599, apart from WebSocket close codes (1000-4999), as
// centrifuge keeps them apart: an error frame's `number` can never be mistaken for the code a
// socket was closed with (4401, 4403).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace tandem::core {

enum class error_code : std::uint16_t {
  // 100-199: the frame itself is wrong; resending it unchanged fails again.
  bad_frame = 100,          // not a JSON object / not valid UTF-8
  unknown_type = 101,       // "type" names no frame the sidecar or the bridge handles
  missing_field = 102,      // a required field is absent
  invalid_field = 103,      // a field has the wrong JSON type or is out of range
  body_empty = 104,         // message body is empty or only white space
  body_too_long = 105,      // message body exceeds frame_limits::max_body_chars
  body_not_utf8 = 106,      // message body is not valid UTF-8
  client_id_invalid = 107,  // client_id is empty, too long or has characters outside [A-Za-z0-9_-]
  chat_id_invalid = 108,    // chat id is not a positive integer
  message_id_invalid = 109, // message id / sequence is not a positive integer
  frame_too_large = 110,    // the WebSocket message exceeds the configured frame size
  // 200-299: who you are / what you may do.
  unauthenticated = 201,
  forbidden = 203,          // e.g. not a participant of the chat
  // 300-399: slow down; retry after the given delay.
  rate_limited = 300,
  // 500-599: the sidecar's dependencies; retryable.
  internal = 500,
  store_unavailable = 503,  // PostgreSQL unreachable or its circuit breaker is open
  layer_unavailable = 504,  // Redis unreachable or its circuit breaker is open
};

/// How many codes there are (for arrays of counters, one per code).
inline constexpr std::size_t error_code_count = 17;
/// Every code, in the order of the table (for counters, tests and bindings that cover them all).
std::span<error_code const, error_code_count> all_error_codes() noexcept;

/// Stable snake_case name of the code, as sent in error frames ("body_too_long").
std::string_view error_name(error_code code) noexcept;

/// One human sentence describing the code, safe to show to an end user.
std::string_view error_message(error_code code) noexcept;

/// True when sending the same frame again later can succeed (rate limits, outages).
bool is_retryable(error_code code) noexcept;

}  // namespace tandem::core
