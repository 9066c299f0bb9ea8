// What a Django session says about its user, decoded as django.contrib.sessions does it: the
// signed blob of a `db`/`cached_db` session row, or a whole `signed_cookies` cookie.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/django_signing.hpp"

namespace tandem::auth {

/// SessionBase.key_salt for django.contrib.sessions.backends.db and cached_db.
inline constexpr std::string_view db_session_salt = "django.contrib.sessions.SessionStore";
/// The salt of django.contrib.sessions.backends.signed_cookies.
inline constexpr std::string_view signed_cookie_salt = "django.contrib.sessions.backends.signed_cookies";

struct session_claims {
  std::int64_t user_id = 0;
  std::string auth_hash;  // _auth_user_hash: ties the session to the password it was made with
  std::string backend;    // _auth_user_backend
};

struct claims_result {
  std::optional<session_claims> claims;
  std::string error;  // why not: "bad signature", "not logged in", ...
};

/// The session_data column of a session row (expiry is the row's expire_date, checked in SQL).
claims_result claims_from_session_data(std::string_view session_data, signing_keys const& keys, std::int64_t now_s);

/// A signed_cookies session: the cookie value itself, valid for `max_age_s` (SESSION_COOKIE_AGE).
claims_result claims_from_signed_cookie(std::string_view cookie, signing_keys const& keys, std::int64_t max_age_s,
                                        std::int64_t now_s);

}  // namespace tandem::auth
