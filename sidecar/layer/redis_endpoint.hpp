// Where one Redis host of the channel layer lives, parsed from the forms channels_redis accepts
// in CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]: "redis://[user:pass@]host[:port][/db]",
// "rediss://..." (TLS, with redis-py's ssl_* query parameters), "unix:///path/to/redis.sock
// [?db=N&password=P]", "host:port", and "sentinel://[user:pass@]s1:port,s2:port/db?master_name=M
// [&sentinel_username=U&sentinel_password=P][&ssl=true&ssl_*...]" for a Sentinel-managed master.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tandem::layer {

/// TLS to Redis, with redis-py's option names (its SSLConnection keywords, also accepted as
/// query parameters of a rediss:// URL).
struct tls_options {
  enum class verify : std::uint8_t { required, optional, none };  // ssl_cert_reqs
  bool enabled = false;         // rediss://
  std::string ca_file;          // ssl_ca_certs; with ca_path empty too: the system store
  std::string ca_path;          // ssl_ca_path: a hashed directory of CA certificates
  std::string cert_file;        // ssl_certfile: the client certificate (chain), PEM
  std::string key_file;         // ssl_keyfile: its private key, PEM (defaults to cert_file)
  verify cert_reqs = verify::required;
  bool check_hostname = true;   // ssl_check_hostname (redis-py's default); off when cert_reqs is none

  bool operator==(tls_options const&) const = default;
};

/// A master found through Sentinel (channels_redis's `sentinels`, `master_name` and
/// `sentinel_kwargs`); the master's own credentials, db and TLS are the endpoint's.
struct sentinel_options {
  std::vector<std::pair<std::string, std::uint16_t>> addresses;
  std::string master_name;
  std::string username;  // sentinel_kwargs["username"]
  std::string password;  // sentinel_kwargs["password"]

  bool operator==(sentinel_options const&) const = default;
};

struct redis_endpoint {
  enum class transport : std::uint8_t { tcp, unix_socket, sentinel };
  transport kind = transport::tcp;
  std::string host = "localhost";  // tcp only
  std::uint16_t port = 6379;       // tcp only
  std::string path;                // unix only
  std::string username;            // empty: AUTH with the password alone
  std::string password;            // empty: no AUTH
  int db = 0;
  tls_options tls;
  sentinel_options sentinel;  // sentinel only; host and port are then the master's, found at connect

  bool operator==(redis_endpoint const&) const = default;
};

struct endpoint_parse {
  std::optional<redis_endpoint> endpoint;
  std::string error;  // set when endpoint is empty
};

/// Parses one host entry. Unknown query parameters are ignored, as redis-py passes them on.
endpoint_parse parse_redis_endpoint(std::string_view text);

/// "host:port/db" or "unix:path/db", without credentials, for logs.
std::string describe(redis_endpoint const& endpoint);

}  // namespace tandem::layer
