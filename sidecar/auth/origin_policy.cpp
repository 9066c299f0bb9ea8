// Origin matching after channels/security/websocket.py and django.utils.http.is_same_domain,
// including its urlparse quirks, so decisions match Channels case for case.
#include "auth/origin_policy.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace tandem::auth {

namespace {

std::string
lower(std::string_view s)
{
  std::string out{s};
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

struct url_parts {
  std::string scheme;              // lower case; empty without "scheme://"
  std::string host;                // lower case; empty when there is none
  std::optional<int> port;         // explicit port
  bool port_invalid = false;
};

bool
is_scheme_char(char c)
{
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}

// urllib.parse.urlsplit, for the parts Channels looks at: "x:" is a scheme when x starts with a
// letter and holds only scheme characters (so "example.com:8000" has the scheme
// "example.com"), and only "//" after it starts a host.
url_parts
split(std::string_view url)
{
  url_parts parts;
  std::string_view rest = url;
  if (auto const colon = rest.find(':'); colon != std::string_view::npos && colon > 0 &&
                                         std::isalpha(static_cast<unsigned char>(rest.front())) &&
                                         std::all_of(rest.begin(), rest.begin() + colon, is_scheme_char)) {
    parts.scheme = lower(rest.substr(0, colon));
    rest = rest.substr(colon + 1);
  }
  if (!rest.starts_with("//")) return parts;
  rest = rest.substr(2);
  rest = rest.substr(0, std::min(rest.find_first_of("/?#"), rest.size()));
  if (auto const at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  std::string_view port_text;
  if (rest.starts_with('[')) {
    auto const close = rest.find(']');
    if (close == std::string_view::npos) return parts;
    parts.host = lower(rest.substr(1, close - 1));
    if (close + 1 < rest.size() && rest[close + 1] == ':') port_text = rest.substr(close + 2);
  } else {
    auto const colon = rest.find(':');
    parts.host = lower(rest.substr(0, colon));
    if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
  }
  if (!port_text.empty()) {
    int port = 0;
    auto const [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || p != port_text.data() + port_text.size() || port < 0 || port > 65535)
      parts.port_invalid = true;
    else
      parts.port = port;
  }
  return parts;
}

std::optional<int>
default_port(std::string_view scheme)
{
  if (scheme == "http" || scheme == "ws") return 80;
  if (scheme == "https" || scheme == "wss") return 443;
  return std::nullopt;
}

// django.utils.http.is_same_domain: ".example.com" matches it and its subdomains.
bool
is_same_domain(std::string_view host, std::string_view pattern)
{
  if (pattern.empty()) return false;
  if (pattern.front() == '.')
    return host == pattern.substr(1) || (host.size() > pattern.size() && host.ends_with(pattern));
  return host == pattern;
}

bool
matches(url_parts const& origin, std::string const& pattern)
{
  url_parts const p = split(pattern);
  if (p.scheme.empty()) {
    url_parts const bare = split("//" + pattern);  // a port in a scheme-less pattern is ignored
    return is_same_domain(origin.host, bare.host.empty() ? pattern : bare.host);
  }
  if (p.scheme != origin.scheme) return false;
  auto const origin_port = origin.port ? origin.port : default_port(origin.scheme);
  auto const pattern_port = p.port ? p.port : default_port(p.scheme);
  return origin_port == pattern_port && is_same_domain(origin.host, p.host);
}

}  // namespace

origin_policy::origin_policy(std::vector<std::string> patterns)
{
  for (auto& p : patterns) patterns_.push_back(lower(p));
}

origin_policy
origin_policy::from_allowed_hosts(std::vector<std::string> const& allowed_hosts, bool debug)
{
  if (debug && allowed_hosts.empty()) return origin_policy{{"localhost", "127.0.0.1", "[::1]"}};
  return origin_policy{allowed_hosts};
}

bool
origin_policy::allows(std::optional<std::string_view> origin) const
{
  // "*" admits anything, even a missing or host-less Origin, as in Channels.
  if (std::find(patterns_.begin(), patterns_.end(), "*") != patterns_.end()) return true;
  if (!origin) return false;
  url_parts const parts = split(*origin);
  if (parts.host.empty() || parts.port_invalid) return false;
  return std::any_of(patterns_.begin(), patterns_.end(), [&](auto const& p) { return matches(parts, p); });
}

}  // namespace tandem::auth
