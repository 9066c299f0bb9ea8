// Which browser origins may open a WebSocket: the rules of Channels' OriginValidator /
// AllowedHostsOriginValidator, so a site that moves its sockets to Tandem keeps exactly the
// cross-site protection it had.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::auth {

class origin_policy {
 public:
  /// `patterns` as in ALLOWED_HOSTS / OriginValidator: "*", "example.com", ".example.com",
  /// "https://example.com:8443", ... (case-insensitive).
  explicit origin_policy(std::vector<std::string> patterns);

  /// ALLOWED_HOSTS semantics: with DEBUG and an empty list, localhost, 127.0.0.1 and [::1].
  static origin_policy from_allowed_hosts(std::vector<std::string> const& allowed_hosts, bool debug);

  /// `origin` is the Origin header value, or nullopt when the request has none (allowed only
  /// with "*").
  bool allows(std::optional<std::string_view> origin) const;

  std::vector<std::string> const& patterns() const noexcept { return patterns_; }

 private:
  std::vector<std::string> patterns_;
};

}  // namespace tandem::auth
