// 16 bytes are 22 base64 digits and "==": the 22nd digit carries 2 data bits and 4 zero bits,
// so only the digits whose low four bits are zero (A, Q, g, w) may stand there.
#include "protocol/websocket_key.hpp"

namespace tandem::protocol {

namespace {

bool
is_base64_digit(char c) noexcept
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

}  // namespace

bool
is_valid_websocket_key(std::string_view key) noexcept
{
  if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
  for (std::size_t i = 0; i < 22; ++i)
    if (!is_base64_digit(key[i])) return false;
  char const last = key[21];
  return last == 'A' || last == 'Q' || last == 'g' || last == 'w';
}

}  // namespace tandem::protocol
