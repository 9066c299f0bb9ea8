// Every refusal names its reason in the log (never in the response body, which says only the
// status) so an operator can tell a forged cookie from an expired one.
#include "net/session_verifier.hpp"

#include <algorithm>
#include <chrono>

#include "auth/cookie_header.hpp"
#include "auth/session_claims.hpp"

namespace tandem::net {

namespace {

std::int64_t
unix_now()
{
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

verdict
refuse(int status, std::string reason)
{
  return {status, std::move(reason), 0, {}};
}

}  // namespace

std::string
session_verifier::session_cookie(std::string_view cookie_header) const
{
  return auth::cookie_value(cookie_header, settings_.cookie_name).value_or(std::string{});
}

awaitable<verdict>
session_verifier::verify(std::string_view cookie_header, bool recheck)
{
  auto const cookie = session_cookie(cookie_header);  // outlives the await below
  co_return co_await verify_session(cookie, recheck);
}

awaitable<verdict>
session_verifier::verify_session(std::string_view session_cookie, bool recheck)
{
  if (settings_.cache_for.count() <= 0 || session_cookie.empty()) co_return co_await look_up(session_cookie);
  auto const now = std::chrono::steady_clock::now();
  std::string key{session_cookie};
  if (auto it = cache_.find(key); it != cache_.end()) {
    if (it->second.until > now && (recheck || !it->second.answer.allowed())) co_return it->second.answer;
    if (it->second.until <= now) cache_.erase(it);
  }
  auto answer = co_await look_up(session_cookie);
  // Outages are never remembered: the next try may succeed. Bounded: the map is cleared
  // when it grows large (a flood of distinct junk cookies).
  if (answer.status != 503) {
    if (cache_.size() >= 10000) cache_.clear();
    cache_[std::move(key)] = {answer, std::chrono::steady_clock::now() + settings_.cache_for};
  }
  co_return answer;
}

awaitable<verdict>
session_verifier::look_up(std::string_view cookie)
{
  if (cookie.empty()) co_return refuse(401, "no session cookie");

  auth::claims_result claims;
  if (settings_.engine == session_engine::signed_cookies) {
    claims = auth::claims_from_signed_cookie(cookie, settings_.keys, settings_.cookie_age_s, unix_now());
  } else {
    // Django's keys are letters and digits; anything else (bytes a forged cookie decodes to)
    // cannot be one, and PostgreSQL would refuse it as text with an error, not a "no".
    auto const printable = [](unsigned char c) { return c > 0x20 && c < 0x7f; };
    if (!std::all_of(cookie.begin(), cookie.end(), printable)) co_return refuse(401, "not a session key");
    std::string const session_key{cookie};
    auto const row = co_await tables_.session_data(session_key);
    if (row.unavailable) co_return refuse(503, "database unavailable: " + row.error);
    if (!row.value) co_return refuse(401, "unknown or expired session");
    claims = auth::claims_from_session_data(*row.value, settings_.keys, unix_now());
  }
  if (!claims.claims) co_return refuse(401, "session refused: " + claims.error);
  // Django's get_user() treats a session without its backend, or whose backend was removed
  // from AUTHENTICATION_BACKENDS, as anonymous.
  auto const& backends = settings_.backends;
  if (std::find(backends.begin(), backends.end(), claims.claims->backend) == backends.end())
    co_return refuse(401, "the session's backend is not in authentication_backends");

  auto const user = co_await tables_.user(claims.claims->user_id);
  if (user.unavailable) co_return refuse(503, "database unavailable: " + user.error);
  if (!user.value) co_return refuse(401, "the session's user no longer exists");
  if (!user.value->is_active) co_return refuse(401, "the user is inactive");
  if (!auth::session_auth_hash_matches(claims.claims->auth_hash, user.value->password_hash, settings_.keys))
    co_return refuse(401, "the password changed since this session was made");
  co_return verdict{0, {}, claims.claims->user_id, user.value->display_name};
}

awaitable<verdict>
session_verifier::check_participant(std::int64_t chat_id, verdict who)
{
  auto const member = co_await tables_.is_participant(chat_id, who.user_id);
  if (member.unavailable) co_return refuse(503, "database unavailable: " + member.error);
  if (!member.value || !*member.value) co_return refuse(403, "not a participant of the chat");
  co_return who;
}

}  // namespace tandem::net
