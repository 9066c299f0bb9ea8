// Decimal text → integer, for values that are integers by construction (database columns,
// Redis replies): no exceptions; to_int64 gives 0 when the text is not a number.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tandem::core {

/// The whole text as a number; nullopt when it is not one.
inline std::optional<std::int64_t>
parse_int64(std::string_view text) noexcept
{
  std::int64_t value = 0;
  auto const [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

inline std::int64_t
to_int64(std::string_view text) noexcept
{
  return parse_int64(text).value_or(0);
}

}  // namespace tandem::core
