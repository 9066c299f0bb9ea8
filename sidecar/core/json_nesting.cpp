// A bracket counter that skips string contents; it never recurses and stops at the first
// level past the limit.
#include "core/json_nesting.hpp"

namespace tandem::core {

bool
json_nests_deeper_than(std::string_view text, std::size_t limit) noexcept
{
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char const c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    switch (c) {
    case '"': in_string = true; break;
    case '[':
    case '{':
      if (++depth > limit) return true;
      break;
    case ']':
    case '}':
      if (depth > 0) --depth;
      break;
    default: break;
    }
  }
  return false;
}

}  // namespace tandem::core
