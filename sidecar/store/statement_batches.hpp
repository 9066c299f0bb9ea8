// Requests applied together, one statement and one commit per batch: what arrives while a batch
// is being applied waits for the next one, so a lone request goes at once and a burst costs a
// few statements instead of one each (receipt_batcher, send_batcher). One flush at a time per
// I/O thread; whatever a batch throws costs that batch only. A batcher gives only its SQL and
// how to read a row (batch_statement); what becomes of a batch that failed is decided here, once.
#pragma once

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "asio/asio.hpp"
#include "asio/supervised_spawn.hpp"
#include "core/decimal.hpp"
#include "store/batch_failure.hpp"
#include "store/pg_connection.hpp"

namespace tandem::store {

/// What a batcher knows of its requests. `Result` has `status` and `error` and answers "failed"
/// when default-constructed.
template <class Request, class Result>
struct batch_statement {
  /// Names the log events (`<what>_batch_refused`, `<what>_batch_rows`).
  std::string_view what;
  /// The order every batch locks its rows in, so two batches (two threads, two processes) never
  /// wait for each other in a cycle. The sort is stable: requests that compare equal keep the
  /// order they came in (a chat's sends their seqs, a member's receipts each seeing the last).
  std::function<bool(Request const&, Request const&)> lock_order;
  /// One request in a statement of its own: a batch of one, and each request of a batch that
  /// failed because of one of them or because it waited.
  std::function<awaitable<Result>(Request const&)> alone;
  /// The batch (in lock order) in one statement and one commit. Each row starts with its
  /// request's position in the batch, counted from 1 (WITH ORDINALITY); `answer` reads the rest.
  std::function<awaitable<pg_outcome>(std::vector<Request const*> const&)> together;
  std::function<Result(pg_result const&, int row, int first_column, Request const&)> answer;
  /// Whether a batch that got no answer in time goes again request by request: yes when a
  /// request applied twice answers the same (a send is found again by its client_id), no when
  /// the second answer would hide the first (a receipt would answer "unchanged", its ticks lost).
  bool again_when_outcome_unknown = false;
};

/// `Result` has an `error` string and answers "failed" when default-constructed.
template <class Request, class Result>
class statement_batches {
 public:
  struct waiting {
    Request request;
    Result result{};
    bool finished = false;
    asio::steady_timer done;  // cancelled when `result` is set: the waiter's wake-up

    waiting(asio::any_io_executor executor, Request r)
        : request{std::move(r)}, done{std::move(executor), asio::steady_timer::time_point::max()}
    {
    }
    void finish(Result r)
    {
      result = std::move(r);
      finished = true;
      done.cancel();
    }
  };
  using batch = std::vector<std::shared_ptr<waiting>>;
  using statement = batch_statement<Request, Result>;

  /// At most `max_batch` requests per batch; `name` names the flush in logs.
  statement_batches(std::size_t max_batch, std::string_view name, statement rules)
      : max_batch_{std::max<std::size_t>(max_batch, 1)}, name_{name}, rules_{std::move(rules)}
  {
  }

  awaitable<Result> submit(Request request)
  {
    auto const executor = co_await asio::this_coro::executor;
    auto const me = std::make_shared<waiting>(executor, std::move(request));
    queued_.push_back(me);
    if (!flushing_) {
      // Set first: a co_spawn that runs the flush inline (newer Boost dispatches) and finds the
      // database away without waiting would finish before this line, and must leave it unset.
      flushing_ = true;
      spawn(executor, name_, [this] { return flush(); });
    }
    while (!me->finished) {
      error_code ec;
      co_await me->done.async_wait(as_value(ec));
    }
    co_return me->result;
  }

 private:
  struct alone_count {
    std::size_t left = 0;
    asio::steady_timer all_done;
    explicit alone_count(asio::any_io_executor executor)
        : all_done{std::move(executor), asio::steady_timer::time_point::max()}
    {
    }
  };
  using alone_fn = std::function<awaitable<Result>(Request const&)>;
  static awaitable<void> answer_alone(std::shared_ptr<waiting> one, std::shared_ptr<alone_count> count, alone_fn alone)
  {
    Result answer{};
    try {
      answer = co_await alone(one->request);
    } catch (std::exception const& e) {
      answer = Result{};  // failed: whatever threw costs this request only
      answer.error = e.what();
    } catch (...) {
      answer = Result{};
      answer.error = "applying the request alone failed";
    }
    one->finish(std::move(answer));
    if (--count->left == 0) count->all_done.cancel();
  }

  /// Answers each unfinished request of `some` alone, all at once (one waiting on a locked row
  /// must not hold up the others), and returns when every one has its answer.
  awaitable<void> each_alone(batch const& some)
  {
    auto const executor = co_await asio::this_coro::executor;
    auto const count = std::make_shared<alone_count>(executor);
    for (auto const& one : some) {
      if (one->finished) continue;
      ++count->left;
      spawn(executor, "statement_alone", [one, count, alone = rules_.alone] { return answer_alone(one, count, alone); });
    }
    while (count->left > 0) {
      error_code ec;
      co_await count->all_done.async_wait(as_value(ec));
    }
  }

  /// Finishes every request of `some`: one alone, more in one statement. A request left
  /// unfinished is answered failed by the flush.
  awaitable<void> apply(batch const& some)
  {
    if (some.size() == 1) {
      auto alone = co_await rules_.alone(some.front()->request);
      some.front()->finish(std::move(alone));
      co_return;
    }
    batch sorted = some;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [this](auto const& a, auto const& b) { return rules_.lock_order(a->request, b->request); });
    std::vector<Request const*> requests;
    requests.reserve(sorted.size());
    for (auto const& one : sorted) requests.push_back(&one->request);
    auto const out = co_await rules_.together(requests);
    if (out.ok() && out.result.rows() == static_cast<int>(sorted.size())) answer_rows(sorted, out.result);
    auto const all_done = std::all_of(sorted.begin(), sorted.end(), [](auto const& one) { return one->finished; });
    if (all_done) co_return;
    if (out.ok()) {
      // Committed, but a request has no row of its own (the function answers one row per call,
      // so this is a broken contract): never applied again, which would answer "duplicate" or
      // "unchanged".
      Result broken{};
      broken.error = std::string{rules_.what} + ": the batch statement returned no row for a request";
      spdlog::error("event={}_batch_rows requests={} rows={}", rules_.what, sorted.size(), out.result.rows());
      finish_unfinished(sorted, broken);
      co_return;
    }
    // Nothing of a refused batch was committed: each request goes again alone, all at once, so
    // only a request at fault fails and a locked row holds up its own requests only. An outage
    // is every request's answer, once (N more statements would each meet it again); so is an
    // unknown outcome when applying twice would answer differently.
    auto const failure = classify_batch_failure(out);
    auto const again = failure == batch_failure::one_request || failure == batch_failure::waited ||
                       (failure == batch_failure::outcome_unknown && rules_.again_when_outcome_unknown);
    if (!again) {
      Result away{};
      away.status = failure_of(out);
      away.error = out.describe();
      finish_unfinished(sorted, away);
      co_return;
    }
    spdlog::warn("event={}_batch_refused requests={} error=\"{}\"", rules_.what, sorted.size(), out.describe());
    co_await each_alone(sorted);
  }

  /// Each row's first column is its request's position in `sorted`, counted from 1.
  void answer_rows(batch const& sorted, pg_result const& r)
  {
    for (int row = 0; row < r.rows(); ++row) {
      auto const index = core::to_int64(r.value(row, 0)) - 1;
      if (index < 0 || index >= static_cast<std::int64_t>(sorted.size())) continue;
      auto const& one = sorted[static_cast<std::size_t>(index)];
      one->finish(rules_.answer(r, row, 1, one->request));
    }
  }

  static void finish_unfinished(batch const& some, Result const& answer)
  {
    for (auto const& one : some)
      if (!one->finished) one->finish(answer);
  }

  /// Applies what is queued, batch after batch, until nothing is.
  awaitable<void> flush()
  {
    // (No guard object resets the flag: a frame destroyed at shutdown must not touch this.)
    while (!queued_.empty()) {
      batch some;
      Result failed{};
      bool threw = false;
      try {
        auto const take = std::min(queued_.size(), max_batch_);
        some.assign(queued_.begin(), queued_.begin() + static_cast<std::ptrdiff_t>(take));
        queued_.erase(queued_.begin(), queued_.begin() + static_cast<std::ptrdiff_t>(take));
        co_await apply(some);
      } catch (std::exception const& e) {
        threw = true;
        failed.error = e.what();
      } catch (...) {
        threw = true;
        failed.error = "batch failed";
      }
      // Whatever went wrong costs this batch only: its requests are answered and the loop goes
      // on (a flush that ended here would leave every later request of the thread waiting).
      if (threw) spdlog::error("event=statement_batch_failed batch={} size={} error=\"{}\"", name_, some.size(), failed.error);
      if (!threw) failed.error = std::string{name_} + ": no answer for this request";
      for (auto const& one : some)
        if (!one->finished) one->finish(failed);
    }
    flushing_ = false;
  }

  std::size_t max_batch_;
  std::string_view name_;
  statement rules_;
  batch queued_;
  bool flushing_ = false;
};

}  // namespace tandem::store
