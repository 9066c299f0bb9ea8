// Parsing of Redis host strings. Percent-escapes in credentials are decoded, as redis-py does.
#include "layer/redis_endpoint.hpp"

#include <cctype>
#include <charconv>

namespace tandem::layer {

namespace {

std::string
percent_decode(std::string_view s)
{
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int value = 0;
      auto const [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, value, 16);
      if (ec == std::errc{} && p == s.data() + i + 3) {
        out.push_back(static_cast<char>(value));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

template <typename Int>
bool
parse_int(std::string_view s, Int& out)
{
  auto const [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size() && !s.empty();
}

// "user:pass@" → endpoint credentials; returns the rest after '@' (or all of s).
std::string_view
take_credentials(std::string_view s, redis_endpoint& ep)
{
  auto const at = s.rfind('@');
  if (at == std::string_view::npos) return s;
  std::string_view const creds = s.substr(0, at);
  auto const colon = creds.find(':');
  if (colon == std::string_view::npos) {
    ep.password = percent_decode(creds);  // redis-py treats a lone value as the password
  } else {
    ep.username = percent_decode(creds.substr(0, colon));
    ep.password = percent_decode(creds.substr(colon + 1));
  }
  return s.substr(at + 1);
}

bool
parse_bool(std::string_view value, bool& out)
{
  std::string lower;
  for (char const c : value) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  // redis-py's to_bool: "0", "f", "false", "n", "no" are false, anything else true.
  out = !(lower.empty() || lower == "0" || lower == "f" || lower == "false" || lower == "n" || lower == "no");
  return true;
}

bool
apply_tls_option(std::string_view key, std::string const& value, tls_options& tls, std::string& error)
{
  if (key == "ssl_ca_certs") tls.ca_file = value;
  else if (key == "ssl_ca_path") tls.ca_path = value;
  else if (key == "ssl_certfile") tls.cert_file = value;
  else if (key == "ssl_keyfile") tls.key_file = value;
  else if (key == "ssl_check_hostname") parse_bool(value, tls.check_hostname);
  else if (key == "ssl_cert_reqs") {
    // redis-py's strings, and Python's ssl.CERT_* names and numbers (0, 1, 2).
    if (value == "required" || value == "CERT_REQUIRED" || value == "2") tls.cert_reqs = tls_options::verify::required;
    else if (value == "optional" || value == "CERT_OPTIONAL" || value == "1") tls.cert_reqs = tls_options::verify::optional;
    else if (value == "none" || value == "CERT_NONE" || value == "0") tls.cert_reqs = tls_options::verify::none;
    else {
      error = "ssl_cert_reqs must be required, optional or none, not '" + value + "'";
      return false;
    }
  }
  return true;
}

// Query "db=N&password=P" (unix URLs, and allowed on redis:// too).
bool
apply_query(std::string_view query, redis_endpoint& ep, std::string& error)
{
  while (!query.empty()) {
    auto const amp = query.find('&');
    std::string_view const pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto const eq = pair.find('=');
    std::string_view const key = pair.substr(0, eq);
    std::string_view const value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (key == "db" && !parse_int(value, ep.db)) {
      error = "db must be an integer";
      return false;
    }
    if (key == "password") ep.password = percent_decode(value);
    if (key == "username") ep.username = percent_decode(value);
    if (key.starts_with("ssl_") && !apply_tls_option(key, percent_decode(value), ep.tls, error)) return false;
    if (key == "ssl") parse_bool(value, ep.tls.enabled);
    if (key == "master_name") ep.sentinel.master_name = percent_decode(value);
    if (key == "sentinel_username") ep.sentinel.username = percent_decode(value);
    if (key == "sentinel_password") ep.sentinel.password = percent_decode(value);
  }
  return true;
}

endpoint_parse
parse_tcp(std::string_view rest)
{
  redis_endpoint ep;
  std::string error;
  auto const q = rest.find('?');
  if (q != std::string_view::npos) {
    if (!apply_query(rest.substr(q + 1), ep, error)) return {std::nullopt, error};
    rest = rest.substr(0, q);
  }
  rest = take_credentials(rest, ep);
  auto const slash = rest.find('/');
  if (slash != std::string_view::npos) {
    std::string_view const db = rest.substr(slash + 1);
    if (!db.empty() && !parse_int(db, ep.db)) return {std::nullopt, "db must be an integer"};
    rest = rest.substr(0, slash);
  }
  std::string_view host = rest;
  if (!rest.empty() && rest.front() == '[') {  // [::1]:6379
    auto const close = rest.find(']');
    if (close == std::string_view::npos) return {std::nullopt, "unclosed [ in IPv6 host"};
    host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    if (!rest.empty() && rest.front() == ':' && !parse_int(rest.substr(1), ep.port))
      return {std::nullopt, "port must be 1-65535"};
  } else if (auto const colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    if (!parse_int(rest.substr(colon + 1), ep.port) || ep.port == 0) return {std::nullopt, "port must be 1-65535"};
  }
  if (!host.empty()) ep.host = std::string{host};
  return {ep, {}};
}

// "sentinel://[creds@]s1:p1,s2:p2[/db][?query]": the master's settings are parsed as a redis://
// URL with a placeholder host, then each Sentinel address as a host:port.
endpoint_parse
parse_sentinel(std::string_view rest)
{
  auto const q = rest.find('?');
  std::string_view const query = q == std::string_view::npos ? std::string_view{} : rest.substr(q);
  std::string_view main = rest.substr(0, q);
  auto const at = main.rfind('@');
  std::string_view const creds = at == std::string_view::npos ? std::string_view{} : main.substr(0, at + 1);
  main = at == std::string_view::npos ? main : main.substr(at + 1);
  auto const slash = main.find('/');
  std::string_view const db = slash == std::string_view::npos ? std::string_view{} : main.substr(slash);
  std::string_view list = main.substr(0, slash);
  auto parsed = parse_tcp(std::string{creds} + "sentinel-master" + std::string{db} + std::string{query});
  if (!parsed.endpoint) return parsed;
  auto& ep = *parsed.endpoint;
  ep.kind = redis_endpoint::transport::sentinel;
  while (!list.empty()) {
    auto const comma = list.find(',');
    std::string item{list.substr(0, comma)};
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (item.empty()) continue;
    if (item.find(':', item.rfind(']') == std::string::npos ? 0 : item.rfind(']')) == std::string::npos)
      item += ":26379";  // Sentinel's default port
    auto address = parse_tcp(item);
    if (!address.endpoint) return {std::nullopt, "Sentinel address '" + item + "': " + address.error};
    ep.sentinel.addresses.emplace_back(address.endpoint->host, address.endpoint->port);
  }
  if (ep.sentinel.addresses.empty()) return {std::nullopt, "sentinel:// needs at least one Sentinel host:port"};
  if (ep.sentinel.master_name.empty()) return {std::nullopt, "sentinel:// needs ?master_name=<name>"};
  return parsed;
}

}  // namespace

endpoint_parse
parse_redis_endpoint(std::string_view text)
{
  if (text.starts_with("sentinel://")) return parse_sentinel(text.substr(11));
  if (text.starts_with("rediss://")) {
    auto parsed = parse_tcp(text.substr(9));
    if (parsed.endpoint) parsed.endpoint->tls.enabled = true;
    return parsed;
  }
  if (text.starts_with("redis://")) {
    auto parsed = parse_tcp(text.substr(8));
    if (parsed.endpoint && parsed.endpoint->tls != tls_options{})
      return {std::nullopt, "ssl_* options need a rediss:// URL (this one is redis://, without TLS)"};
    return parsed;
  }
  if (text.starts_with("unix://")) {
    redis_endpoint ep;
    ep.kind = redis_endpoint::transport::unix_socket;
    std::string_view rest = take_credentials(text.substr(7), ep);
    std::string error;
    auto const q = rest.find('?');
    if (q != std::string_view::npos) {
      if (!apply_query(rest.substr(q + 1), ep, error)) return {std::nullopt, error};
      rest = rest.substr(0, q);
    }
    if (rest.empty()) return {std::nullopt, "unix:// needs a socket path"};
    ep.path = std::string{rest};
    return {ep, {}};
  }
  if (auto const scheme = text.find("://"); scheme != std::string_view::npos)  // (the rest may hold a password)
    return {std::nullopt, "unknown scheme " + std::string{text.substr(0, scheme)} + "://"};
  return parse_tcp(text);
}

std::string
describe(redis_endpoint const& ep)
{
  if (ep.kind == redis_endpoint::transport::sentinel)
    return (ep.tls.enabled ? "tls:" : "") + std::string{"sentinel:"} + ep.sentinel.master_name + "/" + std::to_string(ep.db);
  if (ep.kind == redis_endpoint::transport::unix_socket) return "unix:" + ep.path + "/" + std::to_string(ep.db);
  return (ep.tls.enabled ? "tls:" : "") + ep.host + ":" + std::to_string(ep.port) + "/" + std::to_string(ep.db);
}

}  // namespace tandem::layer
