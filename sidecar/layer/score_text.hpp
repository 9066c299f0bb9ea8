// A sorted-set score as Redis reads it back exactly: the shortest decimal that round-trips
// (std::to_chars), so a message re-added later keeps its place in the queue's order.
#pragma once

#include <array>
#include <charconv>
#include <string>

namespace tandem::layer {

inline std::string
format_score(double seconds)
{
  std::array<char, 64> buf{};
  auto const [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), seconds);
  return ec == std::errc{} ? std::string{buf.data(), end} : std::to_string(seconds);
}

}  // namespace tandem::layer
