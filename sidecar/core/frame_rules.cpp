// Field checks for client frames.
#include "core/frame_rules.hpp"

#include <algorithm>

#include "core/text_classes.hpp"
#include "core/utf8.hpp"

namespace tandem::core {

namespace {

bool
is_client_id_char(char c) noexcept
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

}  // namespace

field_check
validate_body(std::string_view body, frame_limits const& limits)
{
  auto const points = utf8_decode(body);
  if (!points) return field_error{error_code::body_not_utf8, "body"};
  if (std::any_of(points->begin(), points->end(), is_refused_control)) return field_error{error_code::invalid_field, "body"};
  if (std::all_of(points->begin(), points->end(), is_blank)) return field_error{error_code::body_empty, "body"};
  if (points->size() > limits.max_body_chars) return field_error{error_code::body_too_long, "body"};
  return std::nullopt;
}

field_check
validate_client_id(std::string_view client_id, frame_limits const& limits)
{
  bool const ok = !client_id.empty() && client_id.size() <= limits.max_client_id_len &&
                  std::all_of(client_id.begin(), client_id.end(), is_client_id_char);
  if (!ok) return field_error{error_code::client_id_invalid, "client_id"};
  return std::nullopt;
}

field_check
validate_positive_id(std::int64_t id, std::string_view field, error_code code)
{
  if (id <= 0) return field_error{code, std::string{field}};
  return std::nullopt;
}

field_check
validate_send(send_fields const& frame, frame_limits const& limits)
{
  if (auto e = validate_positive_id(frame.chat, "chat", error_code::chat_id_invalid)) return e;
  if (auto e = validate_client_id(frame.client_id, limits)) return e;
  return validate_body(frame.body, limits);
}

}  // namespace tandem::core
