// Messages to and from the JSON text of channels_redis's serializer_format="json" (4.2.1+):
// json.dumps with Python's defaults on the way out, json.loads on the way in.
#pragma once

#include <string>
#include <string_view>

#include "layer/message.hpp"

namespace tandem::layer {

/// The text Python's json.dumps writes: ", " and ": " separators, ensure_ascii (non-ASCII as
/// \uXXXX, surrogate pairs above U+FFFF), floats as Python's repr (NaN, Infinity, -Infinity
/// included, as allow_nan does). Throws std::invalid_argument for binary values (JSON cannot
/// carry bytes), discarded values, strings that are not UTF-8 and nesting deeper than
/// max_message_depth.
std::string encode_json(message const& value);

/// Never throws. Keys keep their order; a repeated key keeps its first position and its last
/// value, as a dict does. Refuses nesting deeper than max_message_depth, and NaN/Infinity,
/// which Python accepts but JSON parsers here do not.
decode_result decode_json(std::string_view text) noexcept;

}  // namespace tandem::layer
