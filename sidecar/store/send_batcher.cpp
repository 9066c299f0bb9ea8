#include "store/send_batcher.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "core/decimal.hpp"
#include "store/batch_failure.hpp"
#include "store/message_store.hpp"

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
    : pool_{pool}, batches_{max_batch, "send_batcher_flush", [this](batches::batch const& some) { return store_batch(some); }}
{
}

awaitable<sent_message>
send_batcher::send(std::int64_t chat, std::int64_t sender, std::string client_id, std::string body)
{
  // (Named first: GCC 12 mishandles an aggregate built inside a co_await expression.)
  request one{chat, sender, std::move(client_id), std::move(body)};
  co_return co_await batches_.submit(std::move(one));
}

awaitable<void>
send_batcher::store_batch(batches::batch const& some)
{
  if (some.size() > 1) {
    co_await store_together(some);
    co_return;
  }
  auto alone = co_await store_alone(some.front()->request);
  some.front()->finish(std::move(alone));
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

awaitable<void>
send_batcher::store_together(batches::batch const& some)
{
  // Every batch locks its chat rows in chat order, so two batches (two threads, two processes)
  // never wait for each other in a cycle; a chat's sends keep their order (a stable sort), so
  // their seqs follow the order they came in.
  batches::batch sorted = some;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](auto const& a, auto const& b) { return a->request.chat < b->request.chat; });
  std::string chats{"{"}, senders{"{"}, client_ids{"{"}, bodies{"{"};
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    auto const& r = sorted[i]->request;
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
  auto const out = co_await pool_.query(sql, params);
  if (out.ok() && out.result.rows() == static_cast<int>(sorted.size())) {
    auto const& r = out.result;
    for (int row = 0; row < r.rows(); ++row) {
      auto const index = to_int64(r.value(row, 0)) - 1;
      if (index < 0 || index >= static_cast<std::int64_t>(sorted.size())) continue;
      auto const& one = sorted[static_cast<std::size_t>(index)];
      one->finish(sent_at(r, row, 1, one->request.sender, one->request.client_id));
    }
  }
  auto const all_done = std::all_of(sorted.begin(), sorted.end(), [](auto const& one) { return one->finished; });
  if (all_done) co_return;
  if (out.ok()) {
    // Committed, but a send has no row of its own (the function answers one row per call, so
    // this is a broken contract): never stored again, which would answer "duplicate".
    sent_message broken;
    broken.error = "tandem_send_message_v2 returned no row for a send of the batch";
    spdlog::error("event=send_batch_rows sends={} rows={}", sorted.size(), out.result.rows());
    for (auto const& one : sorted)
      if (!one->finished) one->finish(broken);
    co_return;
  }
  // Nothing of a refused batch was committed, and a send whose outcome is unknown is found again
  // by its client_id: unless the database is away, each send goes again alone, all at once, so
  // only a send at fault fails and a locked chat holds up its own sends only. An outage is every
  // send's answer, once: N more statements would each meet it again.
  if (classify_batch_failure(out) == batch_failure::outage) {
    sent_message away;
    away.status = failure_of(out);
    away.error = out.describe();
    for (auto const& one : sorted)
      if (!one->finished) one->finish(away);
    co_return;
  }
  spdlog::warn("event=send_batch_refused sends={} error=\"{}\"", sorted.size(), out.describe());
  batches::alone_fn const alone = [this](request const& one) { return store_alone(one); };
  co_await batches::each_alone(sorted, alone);
}

}  // namespace tandem::store
