// Strict UTF-8 checking for text that arrives from clients.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tandem::core {

/// Number of code points in `text`, or nullopt when it is not well-formed UTF-8 (overlong
/// forms, surrogates, values above U+10FFFF and truncated sequences are all rejected).
std::optional<std::size_t> utf8_code_points(std::string_view text) noexcept;

/// The code points of `text`, or nullopt when it is not well-formed UTF-8 (as above).
std::optional<std::u32string> utf8_decode(std::string_view text);

}  // namespace tandem::core
