// SQL for messaging. Times leave the database as integer milliseconds since the epoch, the unit
// of every frame; parameters are typed in the SQL so text parameters cannot change meaning.
#include "store/message_store.hpp"

#include <algorithm>
#include <limits>

#include "core/decimal.hpp"

namespace tandem::store {

namespace {

using core::to_int64;

// Every member's marks and settings in chat $1, and whether each sent a message with
// $2 < seq <= $3. The senders in the range are one uncorrelated subquery over the (chat, seq)
// index, read once and hashed: a receipt costs the range, not members x range. markers() and
// receipt_markers() (which adds its gate) share it; Django's messaging.MARKERS_SQL.
constexpr char const* markers_query =
    "SELECT m.user_id, m.delivered_upto, m.read_upto, c.last_seq, c.is_group, coalesce(s.read_receipts, true), "
    "m.user_id IN (SELECT x.sender_id FROM tandem_message x WHERE x.chat_id = $1::bigint "
    "AND x.seq > $2::bigint AND x.seq <= $3::bigint) "
    "FROM tandem_chatmember m JOIN tandem_chat c ON c.id = m.chat_id "
    "LEFT JOIN tandem_usersettings s ON s.user_id = m.user_id WHERE m.chat_id = $1::bigint";

constexpr char const* message_columns =
    "id, chat_id, seq, sender_id, client_id, body, floor(extract(epoch FROM created_at) * 1000)::bigint";

protocol::message_record
record_at(pg_result const& r, int row)
{
  return {to_int64(r.value(row, 0)), to_int64(r.value(row, 1)),       to_int64(r.value(row, 2)),
          to_int64(r.value(row, 3)), std::string{r.value(row, 4)}, std::string{r.value(row, 5)},
          to_int64(r.value(row, 6))};
}

message_page
page_of(pg_outcome const& out, bool newest_first)
{
  message_page page;
  if (!out.ok()) {
    page.status = failure_of(out);
    page.error = out.describe();
    return page;
  }
  page.status = store_status::ok;
  for (int row = 0; row < out.result.rows(); ++row) page.messages.push_back(record_at(out.result, row));
  if (newest_first) std::reverse(page.messages.begin(), page.messages.end());
  return page;
}

id_list
ids_of(pg_outcome const& out)
{
  id_list list;
  if (!out.ok()) {
    list.status = failure_of(out);
    list.error = out.describe();
    return list;
  }
  list.status = store_status::ok;
  for (int row = 0; row < out.result.rows(); ++row) list.ids.push_back(to_int64(out.result.value(row, 0)));
  return list;
}

chat_markers
markers_of(pg_outcome const& out)
{
  chat_markers markers;
  if (!out.ok()) {
    markers.status = failure_of(out);
    markers.error = out.describe();
    return markers;
  }
  markers.status = store_status::ok;
  auto const& r = out.result;
  for (int row = 0; row < r.rows(); ++row) {
    markers.members.push_back(
        {to_int64(r.value(row, 0)), {to_int64(r.value(row, 1)), to_int64(r.value(row, 2))}, r.value(row, 5) == "t"});
    markers.last_seq = to_int64(r.value(row, 3));
    markers.is_group = r.value(row, 4) == "t";
    if (r.value(row, 6) == "t") markers.senders_in_range.push_back(markers.members.back().user_id);
  }
  return markers;
}

}  // namespace

message_store::message_store(pg_pool& pool, std::size_t receipt_batch_max, std::size_t send_batch_max)
    : pool_{pool}, receipts_{pool, receipt_batch_max}, sends_{pool, send_batch_max}
{
}

awaitable<sent_message>
message_store::send(std::int64_t chat, std::int64_t sender, std::string const& client_id, std::string const& body,
                    double /*pending_ttl_s: version 1 of the SQL only; version 2 keeps no pending rows*/)
{
  co_return co_await sends_.send(chat, sender, client_id, body);
}

awaitable<applied_receipt>
message_store::apply_receipt(std::int64_t chat, std::int64_t user, core::receipt_kind kind, core::seq_t upto)
{
  co_return co_await receipts_.apply(chat, user, kind, upto);
}

awaitable<chat_markers>
message_store::markers(std::int64_t chat, core::seq_t after, core::seq_t upto)
{
  static pg_statement const sql{"tandem_chat_markers", markers_query};
  pg_params const params{std::to_string(chat), std::to_string(after), std::to_string(upto)};
  co_return markers_of(co_await pool_.query(sql, params));
}

awaitable<chat_markers>
message_store::receipt_markers(std::int64_t chat, std::int64_t reader, core::receipt_marker before,
                               core::receipt_marker after)
{
  // markers() behind core::receipt_news_possible's gate: "two members other than the reader at
  // or below its old mark" walks the chat's members (the (chat, user) index) until it has found
  // two. While many are behind, that is a few rows; the last receipts of a message walk further
  // (all members in the worst case, when the last ones behind have the highest user ids), so a
  // group message costs about members x log(members) row visits when receipts come in random
  // order, and members² visits (without the rows leaving PostgreSQL) at worst, instead of
  // members² rows read and sent every time. An index on the marks would make it logarithmic
  // but costs every receipt its HOT update. The gate refers to no row of the outer query:
  // PostgreSQL evaluates it once (a one-time filter) and reads no member's row when it fails.
  // One statement, one snapshot: the gate and the markers agree. Django's
  // messaging.RECEIPT_MARKERS_SQL, row for row.
  static pg_statement const sql{"tandem_receipt_markers", std::string{markers_query} +
      " AND NOT (($6::bigint <= $5::bigint OR (SELECT count(*) FROM (SELECT 1 FROM tandem_chatmember b "
      "WHERE b.chat_id = $1::bigint AND b.user_id <> $4::bigint AND b.delivered_upto <= $5::bigint LIMIT 2) d) >= 2) "
      "AND ($8::bigint <= $7::bigint OR (SELECT count(*) FROM (SELECT 1 FROM tandem_chatmember b "
      "WHERE b.chat_id = $1::bigint AND b.user_id <> $4::bigint AND b.read_upto <= $7::bigint LIMIT 2) r) >= 2))"};
  auto const lowest = std::min(before.delivered_upto, before.read_upto);
  auto const highest = std::max(after.delivered_upto, after.read_upto);
  pg_params const params{std::to_string(chat),
                         std::to_string(lowest),
                         std::to_string(highest),
                         std::to_string(reader),
                         std::to_string(before.delivered_upto),
                         std::to_string(after.delivered_upto),
                         std::to_string(before.read_upto),
                         std::to_string(after.read_upto)};
  co_return markers_of(co_await pool_.query(sql, params));
}

awaitable<message_page>
message_store::after(std::int64_t chat, core::seq_t after, core::seq_t upto, std::size_t limit)
{
  static pg_statement const sql{"tandem_messages_after", std::string{"SELECT "} + message_columns +
                                 " FROM tandem_message WHERE chat_id = $1::bigint AND seq > $2::bigint"
                                 " AND seq <= $3::bigint ORDER BY seq LIMIT $4::bigint"};
  pg_params const params{std::to_string(chat), std::to_string(after), std::to_string(upto), std::to_string(limit)};
  co_return page_of(co_await pool_.query(sql, params), false);
}

awaitable<message_page>
message_store::before(std::int64_t chat, std::optional<core::seq_t> before, std::size_t limit)
{
  static pg_statement const sql{"tandem_messages_before", std::string{"SELECT "} + message_columns +
                                 " FROM tandem_message WHERE chat_id = $1::bigint AND seq < $2::bigint"
                                 " ORDER BY seq DESC LIMIT $3::bigint"};
  auto const bound = before ? *before : std::numeric_limits<core::seq_t>::max();
  pg_params const params{std::to_string(chat), std::to_string(bound), std::to_string(limit)};
  co_return page_of(co_await pool_.query(sql, params), true);
}

awaitable<member_start>
message_store::joined_seq(std::int64_t chat, std::int64_t user)
{
  static pg_statement const sql{
      "tandem_joined_seq", "SELECT joined_seq FROM tandem_chatmember WHERE chat_id = $1::bigint AND user_id = $2::bigint"};
  pg_params const params{std::to_string(chat), std::to_string(user)};
  auto const out = co_await pool_.query(sql, params);
  member_start start;
  if (!out.ok()) {
    start.status = failure_of(out);
    start.error = out.describe();
  } else if (out.result.rows() == 0) {
    start.status = store_status::forbidden;
  } else {
    start.status = store_status::ok;
    start.joined_seq = to_int64(out.result.value(0, 0));
  }
  co_return start;
}

awaitable<id_list>
message_store::chats_of(std::int64_t user, std::size_t limit)
{
  // Past the limit, the chats left out are the ones quiet the longest, never the newest.
  static pg_statement const sql{"tandem_chats_of",
      "SELECT m.chat_id FROM tandem_chatmember m JOIN tandem_chat c ON c.id = m.chat_id WHERE m.user_id = $1::bigint "
      "ORDER BY coalesce(c.last_message_at, c.created_at) DESC, m.chat_id DESC LIMIT $2::bigint"};
  pg_params const params{std::to_string(user), std::to_string(limit)};
  co_return ids_of(co_await pool_.query(sql, params));
}

awaitable<std::optional<std::int64_t>>
message_store::purge_expired_pending()
{
  static std::string const sql =
      "WITH gone AS (DELETE FROM tandem_undelivered WHERE expires_at < now() RETURNING 1) SELECT count(*) FROM gone";
  pg_params const none;
  auto const out = co_await pool_.query(sql, none);
  if (!out.ok() || out.result.rows() != 1) co_return std::nullopt;
  co_return to_int64(out.result.value(0, 0));
}

}  // namespace tandem::store
