// Validation of the fields of decoded client frames, with a typed error naming the field, so a
// bad frame gets a precise error frame and the connection stays usable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace tandem::core {

struct frame_limits {
  std::size_t max_body_chars = 4096;   // code points in a message body
  std::size_t max_client_id_len = 64;  // bytes in a client_id ([A-Za-z0-9_-] only)

  bool operator==(frame_limits const&) const = default;
};

struct field_error {
  error_code code;
  std::string field;

  bool operator==(field_error const&) const = default;
};

using field_check = std::optional<field_error>;

/// Well-formed UTF-8 (else body_not_utf8), no refused control character (invalid_field), not
/// only blank characters (body_empty), at most max_body_chars code points (body_too_long);
/// the classes are in core/text_classes.hpp.
field_check validate_body(std::string_view body, frame_limits const& limits);

/// 1..max_client_id_len characters of [A-Za-z0-9_-] (a UUID qualifies).
field_check validate_client_id(std::string_view client_id, frame_limits const& limits);

/// A positive id (chat id, message id or sequence number); `field` names it in the error.
field_check validate_positive_id(std::int64_t id, std::string_view field, error_code code);

/// The fields of a "send" frame.
struct send_fields {
  std::int64_t chat = 0;
  std::string client_id;
  std::string body;
};

/// Checks chat, client_id and body in that order and reports the first bad field.
field_check validate_send(send_fields const& frame, frame_limits const& limits);

}  // namespace tandem::core
