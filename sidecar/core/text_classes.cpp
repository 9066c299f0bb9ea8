// Ranges from the Unicode Character Database (PropList.txt, White_Space; General_Category Cc).
#include "core/text_classes.hpp"

namespace tandem::core {

bool
is_refused_control(char32_t point) noexcept
{
  if (point == U'\t' || point == U'\n' || point == U'\r') return false;
  return point < 0x20 || (point >= 0x7F && point <= 0x9F);
}

bool
is_blank(char32_t point) noexcept
{
  if ((point >= 0x09 && point <= 0x0D) || point == 0x20 || point == 0x85 || point == 0xA0) return true;
  if (point == 0x1680 || point == 0x180E) return true;
  if (point >= 0x2000 && point <= 0x200D) return true;  // the spaces, ZWSP, ZWNJ, ZWJ
  if (point == 0x2028 || point == 0x2029 || point == 0x202F || point == 0x205F || point == 0x2060) return true;
  return point == 0x3000 || point == 0xFEFF;
}

}  // namespace tandem::core
