// SQL for the handshake: parameterised, one round trip each, using the indexes Django creates
// (session_key primary key, user id primary key, the (chat, user) unique constraint).
#include "store/django_tables.hpp"

namespace tandem::store {

std::string
quote_identifier(std::string_view name)
{
  std::string out{"\""};
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

django_tables::django_tables(pg_pool& pool, table_names const& names)
    : pool_{pool},
      session_sql_{"tandem_session_data", "SELECT session_data FROM " + quote_identifier(names.session) +
                                              " WHERE session_key = $1 AND expire_date > now()"},
      user_sql_{"tandem_user_row", "SELECT password, is_active, " + quote_identifier(names.user_display_column) +
                                       "::text FROM " + quote_identifier(names.user) + " WHERE id = $1"},
      member_sql_{"tandem_is_participant",
                  "SELECT 1 FROM " + quote_identifier(names.chat_member) + " WHERE chat_id = $1 AND user_id = $2"}
{
}

namespace {

/// A failure leaves the question unanswered: an SQL error (a statement timeout, a server
/// shutting down, a read-only standby, a permission or schema mistake) is an outage to the
/// caller, never a "no": a "no" logs users out (401, 4401) or ends their membership (403, 4403).
/// Except a data exception (SQLSTATE class 22): the value asked about cannot be in the table
/// (bytes that are not text), so the answer is "no" (and a forged cookie is refused, and
/// remembered as refused, like any unknown one).
template <typename T>
lookup<T>
failed(pg_outcome const& out)
{
  bool const no_such_value = out.error.empty() && out.result.sqlstate().starts_with("22");
  return {std::nullopt, !no_such_value, out.describe()};
}

}  // namespace

awaitable<lookup<std::string>>
django_tables::session_data(std::string const& session_key)
{
  pg_params const params{session_key};
  auto const out = co_await pool_.query(session_sql_, params);
  if (!out.ok()) co_return failed<std::string>(out);
  if (out.result.rows() == 0) co_return lookup<std::string>{};
  co_return lookup<std::string>{std::string{out.result.value(0, 0)}, false, {}};
}

awaitable<lookup<user_row>>
django_tables::user(std::int64_t id)
{
  pg_params const params{std::to_string(id)};
  auto const out = co_await pool_.query(user_sql_, params);
  if (!out.ok()) co_return failed<user_row>(out);
  if (out.result.rows() == 0) co_return lookup<user_row>{};
  co_return lookup<user_row>{
      user_row{std::string{out.result.value(0, 0)}, out.result.value(0, 1) == "t", std::string{out.result.value(0, 2)}},
      false, {}};
}

awaitable<lookup<bool>>
django_tables::is_participant(std::int64_t chat_id, std::int64_t user_id)
{
  pg_params const params{std::to_string(chat_id), std::to_string(user_id)};
  auto const out = co_await pool_.query(member_sql_, params);
  if (!out.ok()) co_return failed<bool>(out);
  co_return lookup<bool>{out.result.rows() > 0, false, {}};
}

awaitable<bool>
django_tables::ping()
{
  // Reachable and migrated: the database has version 2 of the SQL functions this binary calls
  // (Django's migration 0004, tandem/sql/messaging_v2.sql); a missing function fails the query.
  static std::string const sql = "SELECT tandem_schema_version() >= 2";
  pg_params const none;
  auto const out = co_await pool_.query(sql, none);
  co_return out.ok() && out.result.rows() == 1 && out.result.value(0, 0) == "t";
}

}  // namespace tandem::store
