// Where one Redis host of the channel layer lives, parsed from the forms channels_redis accepts
// in CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]: "redis://[user:pass@]host[:port][/db]",
// "unix:///path/to/redis.sock[?db=N&password=P]" and "host:port".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tandem::layer {

struct redis_endpoint {
  enum class transport : std::uint8_t { tcp, unix_socket };
  transport kind = transport::tcp;
  std::string host = "localhost";  // tcp only
  std::uint16_t port = 6379;       // tcp only
  std::string path;                // unix only
  std::string username;            // empty: AUTH with the password alone
  std::string password;            // empty: no AUTH
  int db = 0;

  bool operator==(redis_endpoint const&) const = default;
};

struct endpoint_parse {
  std::optional<redis_endpoint> endpoint;
  std::string error;  // set when endpoint is empty
};

/// Parses one host entry; `rediss://` (TLS) is refused with a clear error.
endpoint_parse parse_redis_endpoint(std::string_view text);

/// "host:port/db" or "unix:path/db", without credentials, for logs.
std::string describe(redis_endpoint const& endpoint);

}  // namespace tandem::layer
