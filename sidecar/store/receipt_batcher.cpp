#include "store/receipt_batcher.hpp"

#include <string>
#include <utility>
#include <vector>

#include "core/decimal.hpp"
#include "store/batch_failure.hpp"

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
    : pool_{pool}, batches_{max_batch, "receipt_batcher_flush", statement()}
{
}

awaitable<applied_receipt>
receipt_batcher::apply(std::int64_t chat, std::int64_t user, core::receipt_kind kind, core::seq_t upto)
{
  // (Named first: GCC 12 mishandles an aggregate built inside a co_await expression.)
  receipt one{chat, user, kind, upto};
  co_return co_await batches_.submit(std::move(one));
}

receipt_batcher::batches::statement
receipt_batcher::statement()
{
  batches::statement rules;
  rules.what = "receipt";
  // Member rows in (chat, user) order; a member's receipts in the order they came, each seeing
  // the one before it.
  rules.lock_order = [](receipt const& a, receipt const& b) { return std::pair{a.chat, a.user} < std::pair{b.chat, b.user}; };
  rules.alone = [this](receipt const& one) { return apply_alone(one); };
  rules.together = [this](std::vector<receipt const*> const& sorted) { return apply_together(sorted); };
  rules.answer = [](pg_result const& r, int row, int first, receipt const&) { return applied_at(r, row, first); };
  // A receipt batch that committed unseen would answer "unchanged" the second time, and its
  // ticks would never be told.
  rules.again_when_outcome_unknown = false;
  return rules;
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

awaitable<pg_outcome>
receipt_batcher::apply_together(std::vector<receipt const*> const& sorted)
{
  std::string chats{"{"}, users{"{"}, kinds{"{"}, uptos{"{"};
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    auto const comma = i == 0 ? "" : ",";
    auto const& r = *sorted[i];
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
  co_return co_await pool_.query(sql, params);
}

}  // namespace tandem::store
