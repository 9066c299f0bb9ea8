// One query per question: the contacts query joins membership, chats, settings and status so
// an announcement or a snapshot costs one round trip however many contacts there are.
#include "store/presence_tables.hpp"

#include <map>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/decimal.hpp"
#include "core/privacy.hpp"

namespace tandem::store {

namespace {

using core::to_int64;

core::visibility
visibility_of(std::string_view text)
{
  // Every query gives 0 for a user without a settings row (coalesce): anything else unknown,
  // even text that is not a number, hides the user (core::visibility_from_number).
  auto const value = core::parse_int64(text);
  return value ? core::visibility_from_number(*value) : core::visibility::nobody;
}

/// The numbers of a PostgreSQL bigint[] in its text form ("{1,2,3}"; "{}" when empty).
std::vector<std::int64_t>
ids_of_array(std::string_view text)
{
  std::vector<std::int64_t> ids;
  if (text.size() < 2) return ids;
  text = text.substr(1, text.size() - 2);
  while (!text.empty()) {
    auto const comma = text.find(',');
    ids.push_back(to_int64(text.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return ids;
}

/// A PostgreSQL array literal of `items` (numbers, booleans, NULL: nothing that needs quoting).
template <typename Items, typename Text>
std::string
array_literal(Items const& items, Text text)
{
  std::string out{"{"};
  for (auto const& item : items) {
    if (out.size() > 1) out += ',';
    out += text(item);
  }
  out += '}';
  return out;
}

}  // namespace

presence_tables::presence_tables(pg_pool& pool) : pool_{pool} {}

awaitable<contact_list>
presence_tables::contacts_of(std::int64_t user, std::int64_t chat)
{
  static pg_statement const sql{"tandem_contacts_of",
      "WITH others AS ("
      " SELECT m2.user_id, bool_or(NOT c.is_group) AS direct, bool_or(m1.chat_id = $2::bigint) AS in_chat,"
      " bool_or(c.is_group) AS grouped"
      " FROM tandem_chatmember m1 JOIN tandem_chat c ON c.id = m1.chat_id"
      " JOIN tandem_chatmember m2 ON m2.chat_id = m1.chat_id AND m2.user_id <> $1::bigint"
      " WHERE m1.user_id = $1::bigint GROUP BY m2.user_id),"
      " own AS (SELECT coalesce((SELECT presence_visibility FROM tandem_usersettings"
      " WHERE user_id = $1::bigint), 0) AS visibility)"
      " SELECT o.user_id, o.direct, o.in_chat, coalesce(s.presence_visibility, 0),"
      " floor(extract(epoch FROM st.last_seen) * 1000)::bigint, own.visibility, o.grouped, NULL::bigint[]"
      " FROM others o CROSS JOIN own LEFT JOIN tandem_usersettings s ON s.user_id = o.user_id"
      " LEFT JOIN tandem_userstatus st ON st.user_id = o.user_id"
      // One row even with no contacts: own visibility and own group chats.
      " UNION ALL SELECT 0, false, false, 0, NULL, own.visibility, false,"
      " ARRAY(SELECT m.chat_id FROM tandem_chatmember m JOIN tandem_chat c ON c.id = m.chat_id"
      " WHERE m.user_id = $1::bigint AND c.is_group ORDER BY m.chat_id)::bigint[] FROM own"};
  pg_params const params{std::to_string(user), std::to_string(chat)};
  auto const out = co_await pool_.query(sql, params);
  contact_list list;
  if (!out.ok()) {
    list.status = failure_of(out);
    list.error = out.describe();
    co_return list;
  }
  list.status = store_status::ok;
  auto const& r = out.result;
  for (int row = 0; row < r.rows(); ++row) {
    list.own_visibility = visibility_of(r.value(row, 5));
    auto const id = to_int64(r.value(row, 0));
    if (id == 0) {
      list.group_chats = ids_of_array(r.value(row, 7));
      continue;
    }
    contact c{id, r.value(row, 1) == "t", r.value(row, 2) == "t", r.value(row, 6) == "t",
              visibility_of(r.value(row, 3)), std::nullopt};
    if (!r.is_null(row, 4)) c.last_seen = to_int64(r.value(row, 4));
    list.contacts.push_back(c);
  }
  co_return list;
}

awaitable<std::optional<core::visibility>>
presence_tables::own_visibility(std::int64_t user)
{
  static pg_statement const sql{"tandem_own_visibility",
      "SELECT coalesce((SELECT presence_visibility FROM tandem_usersettings WHERE user_id = $1::bigint), 0)"};
  pg_params const params{std::to_string(user)};
  auto const out = co_await pool_.query(sql, params);
  if (!out.ok() || out.result.rows() != 1) co_return std::nullopt;
  co_return visibility_of(out.result.value(0, 0));
}

awaitable<bool>
presence_tables::write_status(std::int64_t user, bool online, std::int64_t connections,
                              std::optional<core::unix_ms> last_seen)
{
  static pg_statement const sql{"tandem_write_status",
      "INSERT INTO tandem_userstatus (user_id, online, connections, last_seen, last_ping)"
      " VALUES ($1::bigint, $2::boolean, $3::integer, to_timestamp($4::float8 / 1000), now())"
      " ON CONFLICT (user_id) DO UPDATE SET online = EXCLUDED.online, connections = EXCLUDED.connections,"
      " last_seen = coalesce(EXCLUDED.last_seen, tandem_userstatus.last_seen), last_ping = now()"};
  pg_params const params{std::to_string(user), online ? "true" : "false", std::to_string(connections),
                         last_seen ? std::optional<std::string>{std::to_string(*last_seen)} : std::nullopt};
  auto const out = co_await pool_.query(sql, params);
  co_return out.ok();
}

awaitable<bool>
presence_tables::write_statuses(std::vector<status_write> rows)
{
  if (rows.empty()) co_return true;
  // One row per user (ON CONFLICT cannot touch a row twice in one statement), the later one
  // winning as it would have written last; in user order, so two processes writing overlapping
  // batches lock the rows in the same order and cannot deadlock.
  std::map<std::int64_t, status_write> by_user;
  for (auto& row : rows) by_user[row.user] = std::move(row);
  std::vector<status_write const*> ordered;
  ordered.reserve(by_user.size());
  for (auto const& entry : by_user) ordered.push_back(&entry.second);
  static pg_statement const sql{"tandem_write_statuses",
      "INSERT INTO tandem_userstatus (user_id, online, connections, last_seen, last_ping)"
      " SELECT r.user_id, r.online, r.connections, to_timestamp(r.last_seen / 1000), now()"
      " FROM unnest($1::bigint[], $2::boolean[], $3::integer[], $4::float8[])"
      " AS r(user_id, online, connections, last_seen)"
      " ON CONFLICT (user_id) DO UPDATE SET online = EXCLUDED.online, connections = EXCLUDED.connections,"
      " last_seen = coalesce(EXCLUDED.last_seen, tandem_userstatus.last_seen), last_ping = now()"};
  pg_params const params{
      array_literal(ordered, [](auto const* r) { return std::to_string(r->user); }),
      array_literal(ordered, [](auto const* r) { return std::string{r->online ? "t" : "f"}; }),
      array_literal(ordered, [](auto const* r) { return std::to_string(r->connections); }),
      array_literal(ordered,
                    [](auto const* r) { return r->last_seen ? std::to_string(*r->last_seen) : std::string{"NULL"}; })};
  auto const out = co_await pool_.query(sql, params);
  co_return out.ok();
}

awaitable<std::vector<contact_list>>
presence_tables::contacts_of_many(std::vector<std::int64_t> users, std::optional<std::vector<std::int64_t>> among)
{
  std::vector<contact_list> lists(users.size());
  if (users.empty()) co_return lists;
  // contacts_of's query for every asker at once: each row names its asker; an asker's own
  // visibility comes in a row of its own (contact 0), so an asker with no contacts is answered
  // too. No chat is asked about: in_chat is false throughout.
  static pg_statement const sql{"tandem_contacts_of_many",
      "WITH asked AS (SELECT DISTINCT unnest($1::bigint[]) AS user_id),"
      " others AS ("
      " SELECT m1.user_id AS asker, m2.user_id, bool_or(NOT c.is_group) AS direct, bool_or(c.is_group) AS grouped"
      " FROM asked a JOIN tandem_chatmember m1 ON m1.user_id = a.user_id"
      " JOIN tandem_chat c ON c.id = m1.chat_id"
      " JOIN tandem_chatmember m2 ON m2.chat_id = m1.chat_id AND m2.user_id <> m1.user_id"
      " AND ($2::bigint[] IS NULL OR m2.user_id = ANY($2::bigint[]))"
      " GROUP BY m1.user_id, m2.user_id)"
      " SELECT o.asker, o.user_id, o.direct, coalesce(s.presence_visibility, 0),"
      " floor(extract(epoch FROM st.last_seen) * 1000)::bigint, o.grouped, NULL::bigint[]"
      " FROM others o LEFT JOIN tandem_usersettings s ON s.user_id = o.user_id"
      " LEFT JOIN tandem_userstatus st ON st.user_id = o.user_id"
      " UNION ALL SELECT a.user_id, 0, false, coalesce(s.presence_visibility, 0), NULL, false,"
      " ARRAY(SELECT m.chat_id FROM tandem_chatmember m JOIN tandem_chat c ON c.id = m.chat_id"
      " WHERE m.user_id = a.user_id AND c.is_group ORDER BY m.chat_id)::bigint[]"
      " FROM asked a LEFT JOIN tandem_usersettings s ON s.user_id = a.user_id"};
  auto const number = [](std::int64_t u) { return std::to_string(u); };
  pg_params const params{array_literal(users, number),
                         among ? std::optional<std::string>{array_literal(*among, number)} : std::nullopt};
  auto const out = co_await pool_.query(sql, params);
  if (!out.ok()) {
    for (auto& list : lists) {
      list.status = failure_of(out);
      list.error = out.describe();
    }
    co_return lists;
  }
  std::unordered_map<std::int64_t, contact_list> by_asker;
  for (auto const user : users) by_asker[user].status = store_status::ok;
  auto const& r = out.result;
  for (int row = 0; row < r.rows(); ++row) {
    auto const asker = by_asker.find(to_int64(r.value(row, 0)));
    if (asker == by_asker.end()) continue;
    auto const id = to_int64(r.value(row, 1));
    if (id == 0) {
      asker->second.own_visibility = visibility_of(r.value(row, 3));
      asker->second.group_chats = ids_of_array(r.value(row, 6));
      continue;
    }
    contact c{id, r.value(row, 2) == "t", false, r.value(row, 5) == "t", visibility_of(r.value(row, 3)), std::nullopt};
    if (!r.is_null(row, 4)) c.last_seen = to_int64(r.value(row, 4));
    asker->second.contacts.push_back(c);
  }
  for (std::size_t i = 0; i < users.size(); ++i) lists[i] = by_asker[users[i]];
  co_return lists;
}

awaitable<std::optional<std::vector<std::int64_t>>>
presence_tables::viewers_of_many(std::vector<std::int64_t> users)
{
  std::vector<std::int64_t> viewers;
  if (users.empty()) co_return viewers;
  // The users' chats first, then those chats' members, less the users (a set difference, each
  // once): a join of member to member made one row per pair (500 members of a 1,000-member
  // group: half a million rows to de-duplicate, most of a drain's PostgreSQL time), and a
  // "<> ALL(users)" filter compared every membership row with every user.
  static pg_statement const sql{"tandem_viewers_of_many",
      "SELECT m.user_id FROM tandem_chatmember m"
      " WHERE m.chat_id IN (SELECT chat_id FROM tandem_chatmember WHERE user_id = ANY($1::bigint[]))"
      " EXCEPT SELECT unnest($1::bigint[])"};
  pg_params const params{array_literal(users, [](std::int64_t u) { return std::to_string(u); })};
  auto const out = co_await pool_.query(sql, params);
  if (!out.ok()) co_return std::nullopt;
  auto const& r = out.result;
  viewers.reserve(static_cast<std::size_t>(r.rows()));
  for (int row = 0; row < r.rows(); ++row) viewers.push_back(to_int64(r.value(row, 0)));
  co_return viewers;
}

}  // namespace tandem::store
