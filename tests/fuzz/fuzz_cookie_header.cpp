// libFuzzer target: a Cookie header from any client, read as Django's parse_cookie would.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "auth/cookie_header.hpp"

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
  std::string_view const header{reinterpret_cast<char const*>(data), size};
  (void)tandem::auth::cookie_value(header, "sessionid");
  (void)tandem::auth::cookie_value(header, "");
  return 0;
}
