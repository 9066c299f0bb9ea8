// Requests applied together, one statement and one commit per batch: what arrives while a batch
// is being applied waits for the next one, so a lone request goes at once and a burst costs a
// few statements instead of one each (receipt_batcher, send_batcher). One flush at a time per
// I/O thread; whatever a batch throws costs that batch only.
#pragma once

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "asio/asio.hpp"
#include "asio/supervised_spawn.hpp"

namespace tandem::store {

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
  /// Applies a batch (of one or more) and finishes each of its requests; one it leaves
  /// unfinished is answered failed.
  using apply_fn = std::function<awaitable<void>(batch const&)>;

  /// At most `max_batch` requests per batch; `name` names the flush in logs.
  statement_batches(std::size_t max_batch, std::string_view name, apply_fn apply)
      : max_batch_{std::max<std::size_t>(max_batch, 1)}, name_{name}, apply_{std::move(apply)}
  {
  }

  /// Answers each unfinished request of `some` by `alone`, all at once (one waiting on a locked
  /// row must not hold up the others), and returns when every one has its answer.
  using alone_fn = std::function<awaitable<Result>(Request const&)>;
  static awaitable<void> each_alone(batch const& some, alone_fn alone)
  {
    auto const executor = co_await asio::this_coro::executor;
    auto const count = std::make_shared<alone_count>(executor);
    for (auto const& one : some) {
      if (one->finished) continue;
      ++count->left;
      spawn(executor, "statement_alone", [one, count, alone] { return answer_alone(one, count, alone); });
    }
    while (count->left > 0) {
      error_code ec;
      co_await count->all_done.async_wait(as_value(ec));
    }
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
        co_await apply_(some);
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
  apply_fn apply_;
  batch queued_;
  bool flushing_ = false;
};

}  // namespace tandem::store
