#include "store/receipt_batcher.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

#include "asio/supervised_spawn.hpp"
#include "core/decimal.hpp"
#include "store/batch_failure.hpp"
#include "store/message_store.hpp"

namespace tandem::store {

namespace {

using core::to_int64;

/// One result row of tandem_apply_receipt_v2 (columns from `first` on) as the store's value.
applied_receipt
applied_at(pg_result const& r, int row, int first)
{
  applied_receipt applied;
  if (r.value(row, first) == "forbidden") {
    applied.status = store_status::forbidden;
    return applied;
  }
  applied.status = store_status::ok;
  applied.changed = r.value(row, first + 1) == "t";
  applied.before = {to_int64(r.value(row, first + 2)), to_int64(r.value(row, first + 3))};
  applied.after = {to_int64(r.value(row, first + 4)), to_int64(r.value(row, first + 5))};
  applied.at = to_int64(r.value(row, first + 6));
  return applied;
}

}  // namespace

receipt_batcher::receipt_batcher(pg_pool& pool, std::size_t max_batch)
    : pool_{pool}, batches_{max_batch, "receipt_batcher_flush", [this](batches::batch const& some) { return apply_batch(some); }}
{
}

awaitable<applied_receipt>
receipt_batcher::apply(std::int64_t chat, std::int64_t user, core::receipt_kind kind, core::seq_t upto)
{
  // (Named first: GCC 12 mishandles an aggregate built inside a co_await expression.)
  receipt one{chat, user, kind, upto};
  co_return co_await batches_.submit(std::move(one));
}

awaitable<void>
receipt_batcher::apply_batch(batches::batch const& some)
{
  if (some.size() > 1) {
    co_await apply_together(some);
    co_return;
  }
  auto alone = co_await apply_alone(some.front()->request);
  some.front()->finish(std::move(alone));
}

awaitable<applied_receipt>
receipt_batcher::apply_alone(receipt const& one)
{
  static pg_statement const sql{"tandem_apply_receipt",
      "SELECT outcome, changed, old_delivered, old_read, new_delivered, new_read, "
      "floor(extract(epoch FROM receipt_at) * 1000)::bigint "
      "FROM tandem_apply_receipt_v2($1::bigint, $2::bigint, $3::smallint, $4::bigint)"};
  pg_params const params{std::to_string(one.chat), std::to_string(one.user),
                         std::to_string(static_cast<int>(one.kind)), std::to_string(one.upto)};
  ++statements_;
  auto const out = co_await pool_.query(sql, params);
  applied_receipt applied;
  if (!out.ok() || out.result.rows() != 1) {
    applied.status = out.ok() ? store_status::failed : failure_of(out);
    applied.error = out.ok() ? "tandem_apply_receipt_v2 returned no row" : out.describe();
    co_return applied;
  }
  co_return applied_at(out.result, 0, 0);
}

awaitable<void>
receipt_batcher::apply_together(batches::batch const& some)
{
  // The member rows are locked in (chat, user) order by every batch, so two batches (two
  // threads, two processes) never wait for each other in a cycle; receipts of one member keep
  // their order (a stable sort), each seeing the one before it.
  batches::batch sorted = some;
  std::stable_sort(sorted.begin(), sorted.end(), [](auto const& a, auto const& b) {
    return std::pair{a->request.chat, a->request.user} < std::pair{b->request.chat, b->request.user};
  });
  std::string chats{"{"}, users{"{"}, kinds{"{"}, uptos{"{"};
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    auto const comma = i == 0 ? "" : ",";
    auto const& r = sorted[i]->request;
    chats += comma + std::to_string(r.chat);
    users += comma + std::to_string(r.user);
    kinds += comma + std::to_string(static_cast<int>(r.kind));
    uptos += comma + std::to_string(r.upto);
  }
  for (auto* text : {&chats, &users, &kinds, &uptos}) *text += "}";
  // The function is called once per row, in the order of the arrays (the lateral side of a
  // nested loop), all in one transaction: one commit for the batch.
  static pg_statement const sql{"tandem_apply_receipts",
      "SELECT b.i, r.outcome, r.changed, r.old_delivered, r.old_read, r.new_delivered, r.new_read, "
      "floor(extract(epoch FROM r.receipt_at) * 1000)::bigint "
      "FROM unnest($1::bigint[], $2::bigint[], $3::smallint[], $4::bigint[]) WITH ORDINALITY "
      "AS b(chat, member, kind, upto, i) "
      "CROSS JOIN LATERAL tandem_apply_receipt_v2(b.chat, b.member, b.kind, b.upto) AS r"};
  pg_params const params{chats, users, kinds, uptos};
  ++statements_;
  auto const out = co_await pool_.query(sql, params);
  if (out.ok() && out.result.rows() == static_cast<int>(sorted.size())) {
    auto const& r = out.result;
    for (int row = 0; row < r.rows(); ++row) {
      auto const index = to_int64(r.value(row, 0)) - 1;
      if (index < 0 || index >= static_cast<std::int64_t>(sorted.size())) continue;
      sorted[static_cast<std::size_t>(index)]->finish(applied_at(r, row, 1));
    }
  }
  auto const all_done = std::all_of(sorted.begin(), sorted.end(), [](auto const& one) { return one->finished; });
  if (all_done) co_return;
  if (out.ok()) {
    // Committed, but a receipt has no row of its own (the function answers one row per call,
    // so this is a broken contract): never applied again, which would answer "unchanged".
    applied_receipt broken;
    broken.error = "tandem_apply_receipt_v2 returned no row for a receipt of the batch";
    spdlog::error("event=receipt_batch_rows receipts={} rows={}", sorted.size(), out.result.rows());
    for (auto const& one : sorted)
      if (!one->finished) one->finish(broken);
    co_return;
  }
  // A refused batch committed nothing: unless the database is away, each receipt goes again
  // alone, all at once, so only a receipt at fault fails and a locked member row holds up its
  // own receipt only. Not when the outcome is unknown: a batch that committed unseen would be
  // answered "unchanged" the second time, and its ticks never told. An outage, or an unknown
  // outcome, is every receipt's answer, once.
  auto const failure = classify_batch_failure(out);
  if (failure == batch_failure::outage || failure == batch_failure::outcome_unknown) {
    applied_receipt away;
    away.status = failure_of(out);
    away.error = out.describe();
    for (auto const& one : sorted)
      if (!one->finished) one->finish(away);
    co_return;
  }
  spdlog::warn("event=receipt_batch_refused receipts={} error=\"{}\"", sorted.size(), out.describe());
  batches::alone_fn const alone = [this](receipt const& one) { return apply_alone(one); };
  co_await batches::each_alone(sorted, alone);
}

}  // namespace tandem::store
