// Decimal text → integer, for values that are integers by construction (database columns,
// Redis replies): no exceptions, 0 when the text is not a number.
#pragma once

#include <charconv>
#include <cstdint>
#include <string_view>

namespace tandem::core {

inline std::int64_t
to_int64(std::string_view text) noexcept
{
  std::int64_t value = 0;
  auto const [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && ptr == text.data() + text.size() ? value : 0;
}

}  // namespace tandem::core
