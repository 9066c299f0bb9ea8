// Decides, as Django would, who a request's session cookie belongs to: the session row (db,
// cached_db) or the signed cookie itself, its signature under SECRET_KEY or a fallback, and
// `_auth_user_backend` among AUTHENTICATION_BACKENDS and `_auth_user_hash` against the user's
// current password hash (Django's get_user()).
#pragma once

#include <chrono>
#include <cstdint>
#include <unordered_map>
#include <string>
#include <string_view>
#include <vector>

#include "asio/asio.hpp"
#include "auth/django_signing.hpp"
#include "store/django_tables.hpp"

namespace tandem::net {

enum class session_engine : std::uint8_t { db, signed_cookies };

struct session_settings {
  session_engine engine = session_engine::db;
  /// How long a worker reuses a verdict on one session key (0: never): a refusal for any
  /// lookup (a flood of upgrades with one junk cookie costs one query), an approval only for
  /// the periodic re-check of open sockets (many sockets of one session re-check with one
  /// query; a logout reaches them at most this much later). A new socket is never admitted on
  /// a remembered approval.
  std::chrono::milliseconds cache_for{2000};
  std::string cookie_name = "sessionid";
  std::int64_t cookie_age_s = 1209600;
  auth::signing_keys keys;
  std::vector<std::string> backends;  // AUTHENTICATION_BACKENDS
};

struct verdict {
  int status = 0;  // 0 when allowed, else the HTTP status to refuse with (401, 403, 503)
  std::string reason;
  std::int64_t user_id = 0;
  std::string display_name;
  bool allowed() const noexcept { return status == 0; }
};

class session_verifier {
 public:
  session_verifier(session_settings const& settings, store::django_tables& tables) noexcept
      : settings_{settings}, tables_{tables}
  {
  }

  /// The user of the Cookie header's session, or why not. `recheck`: an open socket's periodic
  /// check, which may reuse a recent approval.
  awaitable<verdict> verify(std::string_view cookie_header, bool recheck = false);
  /// The same for the session cookie's value alone (what an open socket keeps for its
  /// re-check, instead of the whole Cookie header); empty: no session cookie.
  awaitable<verdict> verify_session(std::string_view session_cookie, bool recheck = false);
  /// The session cookie's value in a Cookie header, as verify() reads it; empty when absent.
  std::string session_cookie(std::string_view cookie_header) const;
  /// `who` (an allowed verdict) unchanged when its user takes part in `chat_id`, else 403/503.
  awaitable<verdict> check_participant(std::int64_t chat_id, verdict who);

 private:
  awaitable<verdict> look_up(std::string_view session_cookie);

  struct cached {
    verdict answer;
    std::chrono::steady_clock::time_point until;
  };
  session_settings const& settings_;
  store::django_tables& tables_;
  std::unordered_map<std::string, cached> cache_;  // session cookie → verdict (this worker only)
};

}  // namespace tandem::net
