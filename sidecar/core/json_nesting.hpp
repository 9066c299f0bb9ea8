// How deeply a JSON text nests, found by one linear scan before any parser builds a tree, so a
// hostile frame ("[[[[...") is refused without recursion and without allocating its levels.
#pragma once

#include <cstddef>
#include <string_view>

namespace tandem::core {

/// Deepest nesting a client frame may have by default; a top-level object holding a list is
/// depth 2. Bridged frames gain one level inside the channel-layer event, whose codecs accept 64.
inline constexpr std::size_t default_max_frame_depth = 32;
/// The largest max_frame_depth the configuration accepts (the layer's limit minus the envelope).
inline constexpr std::size_t max_frame_depth_limit = 62;

/// True when `text` opens more than `limit` arrays/objects at once (brackets inside strings,
/// escaped quotes included, do not count). Malformed JSON is left to the parser.
bool json_nests_deeper_than(std::string_view text, std::size_t limit) noexcept;

}  // namespace tandem::core
