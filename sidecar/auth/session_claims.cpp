// Claims extraction: Django stores _auth_user_id as the primary key's string form, so a
// session whose user id is not a decimal integer (a UUID primary key) is refused, not guessed.
#include "auth/session_claims.hpp"

#include <charconv>

namespace tandem::auth {

namespace {

claims_result
claims_from(loads_result const& loaded)
{
  if (!loaded.value) return {std::nullopt, loaded.error};
  auto const& data = *loaded.value;
  if (!data.is_object()) return {std::nullopt, "session data is not an object"};
  auto const id = data.find("_auth_user_id");
  auto const hash = data.find("_auth_user_hash");
  if (id == data.end() || hash == data.end()) return {std::nullopt, "not logged in"};
  if (!id->is_string() || !hash->is_string()) return {std::nullopt, "malformed auth fields"};
  auto const& text = id->get_ref<std::string const&>();
  session_claims claims;
  auto const [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), claims.user_id);
  if (ec != std::errc{} || ptr != text.data() + text.size() || claims.user_id <= 0)
    return {std::nullopt, "user id is not a positive integer"};
  claims.auth_hash = hash->get<std::string>();
  if (auto const backend = data.find("_auth_user_backend"); backend != data.end() && backend->is_string())
    claims.backend = backend->get<std::string>();
  return {std::move(claims), {}};
}

}  // namespace

claims_result
claims_from_session_data(std::string_view session_data, signing_keys const& keys, std::int64_t now_s)
{
  return claims_from(signing_loads(session_data, db_session_salt, keys, std::nullopt, now_s));
}

claims_result
claims_from_signed_cookie(std::string_view cookie, signing_keys const& keys, std::int64_t max_age_s,
                          std::int64_t now_s)
{
  return claims_from(signing_loads(cookie, signed_cookie_salt, keys, max_age_s, now_s));
}

}  // namespace tandem::auth
