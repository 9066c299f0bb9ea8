// Strict UTF-8: well-formed sequences count as one code point each, everything else fails.
#include "core/utf8.hpp"

#include <catch2/catch.hpp>

using namespace tandem::core;

TEST_CASE("well-formed text is counted in code points", "[core][utf8]")
{
  CHECK(utf8_code_points("") == 0u);
  CHECK(utf8_code_points("abc") == 3u);
  CHECK(utf8_code_points("caf\xC3\xA9") == 4u);          // é
  CHECK(utf8_code_points("\xE2\x80\xA6") == 1u);         // …
  CHECK(utf8_code_points("\xF0\x9F\x91\x8D") == 1u);     // 👍
  CHECK(utf8_code_points("\xF4\x8F\xBF\xBF") == 1u);     // U+10FFFF
}

TEST_CASE("malformed UTF-8 is rejected", "[core][utf8]")
{
  CHECK_FALSE(utf8_code_points("\xC0\xAF").has_value());          // overlong '/'
  CHECK_FALSE(utf8_code_points("\xE0\x80\xAF").has_value());      // overlong, 3 bytes
  CHECK_FALSE(utf8_code_points("\xED\xA0\x80").has_value());      // surrogate U+D800
  CHECK_FALSE(utf8_code_points("\xF4\x90\x80\x80").has_value());  // above U+10FFFF
  CHECK_FALSE(utf8_code_points("\xE2\x80").has_value());          // truncated
  CHECK_FALSE(utf8_code_points("\x80").has_value());              // lone continuation
  CHECK_FALSE(utf8_code_points("a\xFF").has_value());
  CHECK_FALSE(utf8_code_points("\xE2\x28\xA1").has_value());      // bad continuation
}
