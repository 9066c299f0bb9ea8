// Messages to and from msgpack bytes, exactly as channels_redis writes and reads them
// (Python msgpack 1.x: packb with use_bin_type=True, unpackb with raw=False).
#pragma once

#include <string>
#include <string_view>

#include "layer/message.hpp"

namespace tandem::layer {

/// The bytes Python's msgpack.packb writes for the same value: str family for strings, bin
/// family for binary, float64 for every float, the smallest int format (uint formats for
/// non-negative ints), maps in insertion order. Throws std::invalid_argument for what Python
/// could not read back: discarded values, binary with a subtype, strings that are not UTF-8,
/// nesting deeper than max_message_depth.
std::string encode_msgpack(message const& value);

/// Never throws. Refuses truncated input, trailing bytes, invalid UTF-8 in strings, non-string
/// map keys, ext types and nesting deeper than max_message_depth. Ints above INT64_MAX come
/// back as unsigned numbers, all others as signed.
decode_result decode_msgpack(std::string_view bytes) noexcept;

}  // namespace tandem::layer
