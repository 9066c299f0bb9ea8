// What a channel-layer message is in C++: an ordered JSON value (keys keep their insertion order
// as Python dicts do), with bytes as binary values (no subtype), ints as ints and floats as
// floats; plus the result type every decoder returns instead of throwing.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace tandem::layer {

using message = nlohmann::ordered_json;

/// The key channels_redis adds to messages for process-specific channels: the target channel
/// (send) or the list of target channels sharing one process queue (group_send).
inline constexpr std::string_view asgi_channel_key = "__asgi_channel__";

/// Deepest nesting of maps and lists the codecs accept, so hostile input cannot exhaust the
/// stack; a top-level map holding a list is depth 2.
inline constexpr std::size_t max_message_depth = 64;

/// A decoded value, or why the bytes were refused (value is empty exactly when error is set).
struct decode_result {
  std::optional<message> value;
  std::string error;
};

}  // namespace tandem::layer
