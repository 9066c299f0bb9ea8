#include "store/receipt_batcher.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

#include "asio/supervised_spawn.hpp"
#include "core/decimal.hpp"
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

struct receipt_batcher::waiting {
  std::int64_t chat = 0;
  std::int64_t user = 0;
  core::receipt_kind kind = core::receipt_kind::delivered;
  core::seq_t upto = 0;
  applied_receipt result;
  bool finished = false;
  asio::steady_timer done;  // cancelled when `result` is set: the waiter's wake-up

  waiting(asio::any_io_executor executor, std::int64_t c, std::int64_t u, core::receipt_kind k, core::seq_t s)
      : chat{c}, user{u}, kind{k}, upto{s}, done{std::move(executor), asio::steady_timer::time_point::max()}
  {
  }
  void finish(applied_receipt r)
  {
    result = std::move(r);
    finished = true;
    done.cancel();
  }
};

receipt_batcher::receipt_batcher(pg_pool& pool, std::size_t max_batch)
    : pool_{pool}, max_batch_{std::max<std::size_t>(max_batch, 1)}
{
}

awaitable<applied_receipt>
receipt_batcher::apply(std::int64_t chat, std::int64_t user, core::receipt_kind kind, core::seq_t upto)
{
  auto const executor = co_await asio::this_coro::executor;
  auto const me = std::make_shared<waiting>(executor, chat, user, kind, upto);
  queued_.push_back(me);
  if (!flushing_) {
    // co_spawn posts: the flush starts after this coroutine waits, and the flag is set first.
    spawn(executor, "receipt_batcher_flush", [this] { return flush(); });
    flushing_ = true;
  }
  while (!me->finished) {
    error_code ec;
    co_await me->done.async_wait(as_value(ec));
  }
  co_return me->result;
}

awaitable<void>
receipt_batcher::flush()
{
  // One flush at a time per thread: what arrives meanwhile waits for the next batch. (No
  // guard object resets the flag: a frame destroyed at shutdown must not touch the batcher.)
  while (!queued_.empty()) {
    batch some;
    try {
      auto const take = std::min(queued_.size(), max_batch_);
      some.assign(queued_.begin(), queued_.begin() + static_cast<std::ptrdiff_t>(take));
      queued_.erase(queued_.begin(), queued_.begin() + static_cast<std::ptrdiff_t>(take));
      if (some.size() == 1) {
        auto alone = co_await apply_alone(*some.front());
        some.front()->finish(std::move(alone));
      } else {
        co_await apply_together(some);
      }
    } catch (...) {
      // Whatever went wrong costs this batch only: its receipts are answered, the loop goes on
      // (a flush that ended here would leave every later receipt of the thread waiting).
      applied_receipt failed;
      failed.error = "receipt batch failed";
      try {
        throw;
      } catch (std::exception const& e) {
        failed.error = e.what();
      } catch (...) {
      }
      spdlog::error("event=receipt_batch_failed receipts={} error=\"{}\"", some.size(), failed.error);
      for (auto const& one : some)
        if (!one->finished) one->finish(failed);
    }
  }
  flushing_ = false;
}

awaitable<applied_receipt>
receipt_batcher::apply_alone(waiting const& one)
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
receipt_batcher::apply_together(batch const& some)
{
  // The member rows are locked in (chat, user) order by every batch, so two batches (two
  // threads, two processes) never wait for each other in a cycle; receipts of one member keep
  // their order (a stable sort), each seeing the one before it.
  batch sorted = some;
  std::stable_sort(sorted.begin(), sorted.end(), [](auto const& a, auto const& b) {
    return std::pair{a->chat, a->user} < std::pair{b->chat, b->user};
  });
  std::string chats{"{"}, users{"{"}, kinds{"{"}, uptos{"{"};
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    auto const comma = i == 0 ? "" : ",";
    chats += comma + std::to_string(sorted[i]->chat);
    users += comma + std::to_string(sorted[i]->user);
    kinds += comma + std::to_string(static_cast<int>(sorted[i]->kind));
    uptos += comma + std::to_string(sorted[i]->upto);
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
  if (out.unavailable) {
    // The database is away (no connection, the breaker open): each receipt is answered so, once.
    applied_receipt away;
    away.status = store_status::unavailable;
    away.error = out.describe();
    for (auto const& one : sorted)
      if (!one->finished) one->finish(away);
    co_return;
  }
  // The server refused the statement as a whole (one receipt's error, a lock or statement
  // timeout, a deadlock with a site's own transaction): each receipt again alone, so only the
  // receipt at fault fails.
  spdlog::warn("event=receipt_batch_refused receipts={} error=\"{}\"", sorted.size(), out.describe());
  for (auto const& one : sorted) {
    if (one->finished) continue;
    auto alone = co_await apply_alone(*one);
    one->finish(std::move(alone));
  }
}

}  // namespace tandem::store
