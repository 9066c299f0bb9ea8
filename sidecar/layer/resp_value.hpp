// One Redis reply (RESP2), owned and independent of hiredis' reply objects.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::layer {

struct resp_value {
  enum class kind : std::uint8_t { nil, integer, string, status, error, array };
  kind type = kind::nil;
  std::int64_t integer = 0;
  std::string str;  // bulk string, status text or error message
  std::vector<resp_value> elements;

  bool is_error() const noexcept { return type == kind::error; }
  bool is_nil() const noexcept { return type == kind::nil; }
};

/// Encodes a command as a RESP array of bulk strings, appending to `out`.
void append_command(std::string& out, std::vector<std::string> const& args);

}  // namespace tandem::layer
