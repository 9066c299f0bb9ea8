#include "store/send_batcher.hpp"

#include <utility>
#include <vector>

#include "core/decimal.hpp"
#include "store/batch_failure.hpp"

namespace tandem::store {

namespace {

using core::to_int64;

/// One result row of tandem_send_message_v2 (columns from `first` on) as the store's value.
sent_message
sent_at(pg_result const& r, int row, int first, std::int64_t sender, std::string const& client_id)
{
  sent_message sent;
  auto const outcome = r.value(row, first);
  if (outcome == "forbidden") {
    sent.status = store_status::forbidden;
    return sent;
  }
  sent.status = store_status::ok;
  sent.duplicate = outcome == "duplicate";
  sent.message = {to_int64(r.value(row, first + 1)), to_int64(r.value(row, first + 2)),
                  to_int64(r.value(row, first + 3)), sender,
                  client_id,                         std::string{r.value(row, first + 5)},
                  to_int64(r.value(row, first + 4))};
  return sent;
}

/// `text` as an element of a PostgreSQL array literal: quoted, its quotes and backslashes
/// escaped, so any text (commas, braces, quotes, "NULL") comes back as it was.
void
append_array_element(std::string& literal, std::string const& text)
{
  literal += '"';
  for (char const c : text) {
    if (c == '"' || c == '\\') literal += '\\';
    literal += c;
  }
  literal += '"';
}

}  // namespace

send_batcher::send_batcher(pg_pool& pool, std::size_t max_batch)
    : pool_{pool}, batches_{max_batch, "send_batcher_flush", statement()}
{
}

awaitable<sent_message>
send_batcher::send(std::int64_t chat, std::int64_t sender, std::string client_id, std::string body)
{
  // (Named first: GCC 12 mishandles an aggregate built inside a co_await expression.)
  request one{chat, sender, std::move(client_id), std::move(body)};
  co_return co_await batches_.submit(std::move(one));
}

send_batcher::batches::statement
send_batcher::statement()
{
  batches::statement rules;
  rules.what = "send";
  // Chat rows in chat order; a chat's sends in the order they came, so their seqs follow it.
  rules.lock_order = [](request const& a, request const& b) { return a.chat < b.chat; };
  rules.alone = [this](request const& one) { return store_alone(one); };
  rules.together = [this](std::vector<request const*> const& sorted) { return store_together(sorted); };
  rules.answer = [](pg_result const& r, int row, int first, request const& one) {
    return sent_at(r, row, first, one.sender, one.client_id);
  };
  // A send whose outcome is unknown is found again by its client_id ("duplicate", the original).
  rules.again_when_outcome_unknown = true;
  return rules;
}

awaitable<sent_message>
send_batcher::store_alone(request const& one)
{
  static pg_statement const sql{"tandem_send_message",
      "SELECT outcome, message_id, message_chat, message_seq, "
      "floor(extract(epoch FROM message_created_at) * 1000)::bigint, message_body "
      "FROM tandem_send_message_v2($1::bigint, $2::bigint, $3::text, $4::text)"};
  pg_params const params{std::to_string(one.chat), std::to_string(one.sender), one.client_id, one.body};
  ++statements_;
  auto const out = co_await pool_.query(sql, params);
  sent_message sent;
  if (!out.ok() || out.result.rows() != 1) {
    sent.status = out.ok() ? store_status::failed : failure_of(out);
    sent.error = out.ok() ? "tandem_send_message_v2 returned no row" : out.describe();
    co_return sent;
  }
  co_return sent_at(out.result, 0, 0, one.sender, one.client_id);
}

awaitable<pg_outcome>
send_batcher::store_together(std::vector<request const*> const& sorted)
{
  std::string chats{"{"}, senders{"{"}, client_ids{"{"}, bodies{"{"};
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    auto const& r = *sorted[i];
    auto const comma = i == 0 ? "" : ",";
    chats += comma + std::to_string(r.chat);
    senders += comma + std::to_string(r.sender);
    client_ids += comma;
    append_array_element(client_ids, r.client_id);
    bodies += comma;
    append_array_element(bodies, r.body);
  }
  for (auto* text : {&chats, &senders, &client_ids, &bodies}) *text += "}";
  // The function is called once per row, in the order of the arrays (the lateral side of a
  // nested loop), all in one transaction: one commit for the batch. Each call's own block
  // (its duplicate check) is a subtransaction: send_batch_max (at most 48) stays under the 64
  // PostgreSQL caches per transaction, past which every snapshot on the server gets slower,
  // with room for a site's own trigger.
  static pg_statement const sql{"tandem_send_messages",
      "SELECT b.i, s.outcome, s.message_id, s.message_chat, s.message_seq, "
      "floor(extract(epoch FROM s.message_created_at) * 1000)::bigint, s.message_body "
      "FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) WITH ORDINALITY "
      "AS b(chat, sender, client_id, body, i) "
      "CROSS JOIN LATERAL tandem_send_message_v2(b.chat, b.sender, b.client_id, b.body) AS s"};
  pg_params const params{chats, senders, client_ids, bodies};
  ++statements_;
  co_return co_await pool_.query(sql, params);
}

}  // namespace tandem::store
