// Route parsing: strict on chat ids (digits only, no sign, no leading zeros, fits int64) so
// one chat has one URL, and on the protocol version.
#include "protocol/route.hpp"

#include <charconv>

namespace tandem::protocol {

namespace {

constexpr std::string_view chat_prefix = "/ws/chat/";

bool
parse_chat_id(std::string_view text, std::int64_t& out)
{
  // 19 digits reach INT64_MAX (9223372036854775807); from_chars refuses what does not fit.
  if (text.empty() || text.size() > 19 || text.front() == '0') return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  auto const [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && ptr == text.data() + text.size() && out > 0;
}

/// The value of `name` in a query string, or `fallback` when absent.
std::string_view
query_param(std::string_view query, std::string_view name, std::string_view fallback)
{
  while (!query.empty()) {
    auto const amp = query.find('&');
    auto const pair = query.substr(0, amp);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=')
      return pair.substr(name.size() + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return fallback;
}

/// Minutes east of UTC, as JavaScript's -Date.getTimezoneOffset() gives them (UTC-14..UTC+14).
bool
parse_offset(std::string_view text, int& out)
{
  auto const [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && ptr == text.data() + text.size() && out >= -840 && out <= 840;
}

}  // namespace

route
parse_route(std::string_view target)
{
  auto const question = target.find('?');
  auto const path = target.substr(0, question);
  auto const query = question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);

  route r;
  if (path == "/healthz") r.kind = endpoint::healthz;
  else if (path == "/readyz") r.kind = endpoint::readyz;
  else if (path == "/metrics") r.kind = endpoint::metrics;
  else if (path == "/ws/notifications/") r.kind = endpoint::notifications;
  else if (path == "/ws/echo/") r.kind = endpoint::echo;  // served only with test_echo_endpoint
  else if (path == "/ws/shootout/") r.kind = endpoint::shootout;  // served only with bench_shootout_endpoint
  else if (path.starts_with(chat_prefix) && path.ends_with('/') && path.size() > chat_prefix.size() + 1) {
    // Exactly one segment between the prefix and the trailing slash.
    auto const id = path.substr(chat_prefix.size(), path.size() - chat_prefix.size() - 1);
    if (id.find('/') == std::string_view::npos) {
      r.kind = endpoint::chat;
      if (!parse_chat_id(id, r.chat_id)) r.error = "chat id must be a positive integer";
    }
  }
  if (r.kind == endpoint::chat || r.kind == endpoint::notifications) {
    if (query_param(query, "v", "1") != "1") r.error = "unsupported protocol version (this server speaks v=1)";
    if (!parse_offset(query_param(query, "tz", "0"), r.utc_offset_minutes))
      r.error = "tz must be minutes east of UTC, -840..840";
  }
  return r;
}

std::string_view
endpoint_name(endpoint kind) noexcept
{
  switch (kind) {
    case endpoint::chat: return "chat";
    case endpoint::notifications: return "notifications";
    case endpoint::healthz: return "healthz";
    case endpoint::readyz: return "readyz";
    case endpoint::metrics: return "metrics";
    case endpoint::echo: return "echo";
    case endpoint::shootout: return "shootout";
    case endpoint::not_found: break;
  }
  return "not_found";
}

}  // namespace tandem::protocol
