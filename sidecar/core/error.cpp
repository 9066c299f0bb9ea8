// Names, messages and retryability of the client-visible error codes.
#include "core/error.hpp"

namespace tandem::core {

namespace {

struct error_info {
  std::string_view name;
  std::string_view message;
  bool retryable;
};

error_info
info(error_code code) noexcept
{
  switch (code) {
    case error_code::bad_frame: return {"bad_frame", "The frame is not a valid JSON object.", false};
    case error_code::unknown_type: return {"unknown_type", "The frame type is not known.", false};
    case error_code::missing_field: return {"missing_field", "A required field is missing.", false};
    case error_code::invalid_field: return {"invalid_field", "A field has an invalid value.", false};
    case error_code::body_empty: return {"body_empty", "The message is empty.", false};
    case error_code::body_too_long: return {"body_too_long", "The message is too long.", false};
    case error_code::body_not_utf8: return {"body_not_utf8", "The message is not valid UTF-8 text.", false};
    case error_code::client_id_invalid:
      return {"client_id_invalid", "The client_id must be 1-64 characters of A-Z, a-z, 0-9, '-' or '_'.", false};
    case error_code::chat_id_invalid: return {"chat_id_invalid", "The chat id must be a positive integer.", false};
    case error_code::message_id_invalid:
      return {"message_id_invalid", "The message id must be a positive integer.", false};
    case error_code::frame_too_large: return {"frame_too_large", "The frame is larger than allowed.", false};
    case error_code::unauthenticated: return {"unauthenticated", "You are not logged in.", false};
    case error_code::forbidden: return {"forbidden", "You may not do this.", false};
    case error_code::rate_limited: return {"rate_limited", "Too many frames; slow down and retry.", true};
    case error_code::store_unavailable:
      return {"store_unavailable", "Messages cannot be stored right now; retry shortly.", true};
    case error_code::layer_unavailable:
      return {"layer_unavailable", "Delivery is unavailable right now; retry shortly.", true};
    case error_code::internal: return {"internal", "Something went wrong on the server.", true};
  }
  return {"internal", "Something went wrong on the server.", true};
}

}  // namespace

std::string_view
error_name(error_code code) noexcept
{
  return info(code).name;
}

std::string_view
error_message(error_code code) noexcept
{
  return info(code).message;
}

bool
is_retryable(error_code code) noexcept
{
  return info(code).retryable;
}

}  // namespace tandem::core
