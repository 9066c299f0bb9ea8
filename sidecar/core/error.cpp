// Names, messages and retryability of the client-visible error codes: one table.
#include "core/error.hpp"

#include <array>

namespace tandem::core {

namespace {

struct error_info {
  error_code code;
  std::string_view name;
  std::string_view message;
  bool retryable;
};

constexpr std::array table{
    error_info{error_code::bad_frame, "bad_frame", "The frame is not a valid JSON object.", false},
    error_info{error_code::unknown_type, "unknown_type", "The frame type is not known.", false},
    error_info{error_code::missing_field, "missing_field", "A required field is missing.", false},
    error_info{error_code::invalid_field, "invalid_field", "A field has an invalid value.", false},
    error_info{error_code::body_empty, "body_empty", "The message is empty.", false},
    error_info{error_code::body_too_long, "body_too_long", "The message is too long.", false},
    error_info{error_code::body_not_utf8, "body_not_utf8", "The message is not valid UTF-8 text.", false},
    error_info{error_code::client_id_invalid, "client_id_invalid",
               "The client_id must be 1-64 characters of A-Z, a-z, 0-9, '-' or '_'.", false},
    error_info{error_code::chat_id_invalid, "chat_id_invalid", "The chat id must be a positive integer.", false},
    error_info{error_code::message_id_invalid, "message_id_invalid", "The message id must be a positive integer.",
               false},
    error_info{error_code::frame_too_large, "frame_too_large", "The frame is larger than allowed.", false},
    error_info{error_code::unauthenticated, "unauthenticated", "You are not logged in.", false},
    error_info{error_code::forbidden, "forbidden", "You may not do this.", false},
    error_info{error_code::rate_limited, "rate_limited", "Too many frames; slow down and retry.", true},
    error_info{error_code::internal, "internal", "Something went wrong on the server.", true},
    error_info{error_code::store_unavailable, "store_unavailable",
               "Messages cannot be stored right now; retry shortly.", true},
    error_info{error_code::layer_unavailable, "layer_unavailable", "Delivery is unavailable right now; retry shortly.",
               true},
};

constexpr std::array codes = [] {
  std::array<error_code, table.size()> out{};
  for (std::size_t i = 0; i < table.size(); ++i) out[i] = table[i].code;
  return out;
}();

error_info const&
info(error_code code) noexcept
{
  for (auto const& entry : table)
    if (entry.code == code) return entry;
  return table[14];  // not a code: answer as internal
}

static_assert(table[14].code == error_code::internal);
static_assert(table.size() == error_code_count);

}  // namespace

std::span<error_code const, error_code_count>
all_error_codes() noexcept
{
  return codes;
}

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
