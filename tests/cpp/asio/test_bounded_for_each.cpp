// for_each_bounded(): every item runs, never more than `limit` at once, and what the caller's
// work function owns stays alive (and is released exactly once) however the call is written.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

#include "asio/bounded_for_each.hpp"
#include "asio/supervised_spawn.hpp"
#include "run_until.hpp"

using namespace tandem;
using tandem::testing::run_until;

namespace {

struct tally {
  std::size_t in_flight = 0;
  std::size_t most_in_flight = 0;
  std::vector<int> done;
};

awaitable<void>
count_one(int item, tally& t)
{
  ++t.in_flight;
  t.most_in_flight = std::max(t.most_in_flight, t.in_flight);
  asio::steady_timer pause{co_await asio::this_coro::executor, std::chrono::milliseconds{1}};
  co_await pause.async_wait(asio::use_awaitable);
  --t.in_flight;
  t.done.push_back(item);
}

awaitable<void>
count_one_shared(int item, std::shared_ptr<tally> t)
{
  co_await count_one(item, *t);
}

}  // namespace

TEST_CASE("for_each_bounded runs every item with at most limit in flight", "[for_each_bounded]")
{
  asio::io_context ctx;
  tally t;
  bool finished = false;
  spawn(ctx.get_executor(), "test_bounded", [&]() -> awaitable<void> {
    auto work = [&t](int const& item) { return count_one(item, t); };
    std::vector<int> items{1, 2, 3, 4, 5, 6, 7};  // (not braced inside the co_await: GCC 12 rejects it)
    co_await for_each_bounded(ctx.get_executor(), "test_items", std::move(items), 3, work);
    finished = true;
  });
  REQUIRE(run_until(ctx, [&] { return finished; }));
  CHECK(t.done.size() == 7);
  CHECK(t.most_in_flight == 3);
}

// What a work function owns (presence::send_to_groups shares its tally this way) lives until
// the last item is done and is released exactly once. The work function is a named variable:
// written as a lambda inside the co_await expression, GCC 12 releases its captures twice
// (owners_after was 1, and the tally was freed while the caller still read it).
// scripts/check_coroutine_temporaries.py keeps that shape out of sidecar/.
TEST_CASE("a work function's captures live until the last item and are released exactly once", "[for_each_bounded]")
{
  asio::io_context ctx;
  auto shared = std::make_shared<tally>();
  std::weak_ptr<tally> watch = shared;
  bool finished = false;
  long owners_after = -1;
  spawn(ctx.get_executor(), "test_bounded_capture", [&]() -> awaitable<void> {
    auto mine = shared;  // the coroutine's own owner, as send_to_groups' `sends`
    auto const work = [mine](int const& item) { return count_one_shared(item, mine); };
    std::vector<int> items{1, 2, 3};
    co_await for_each_bounded(ctx.get_executor(), "test_items", std::move(items), 2, work);
    owners_after = mine.use_count();
    finished = mine->done.size() == 3;
  });
  REQUIRE(run_until(ctx, [&] { return finished; }));
  CHECK(owners_after == 3);  // `shared`, `mine` and `work`; the copies for_each_bounded made are gone
  shared.reset();
  ctx.poll();
  CHECK(watch.expired());
}
