// handoff_queue: first come, first served; a waiter is woken once, by its own turn or its own
// deadline, never by another waiter's arrival.
#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "asio/handoff_queue.hpp"
#include "run_until.hpp"

using namespace tandem;
using tandem::testing::run_until;

TEST_CASE("waiters are served in the order they arrived", "[handoff_queue]")
{
  asio::io_context ctx;
  handoff_queue<int> queue{ctx.get_executor()};
  std::vector<int> served_order;
  auto const far = std::chrono::steady_clock::now() + std::chrono::seconds{60};
  for (int i = 0; i < 3; ++i) {
    asio::co_spawn(
        ctx,
        [&, i]() -> awaitable<void> {
          auto given = co_await queue.wait(far);
          if (given) served_order.push_back(i * 100 + *given);
        },
        asio::detached);
  }
  REQUIRE(run_until(ctx, [&] { return queue.waiting() == 3; }));
  for (int resource = 1; resource <= 3; ++resource) {
    REQUIRE(queue.hand_over(resource));
    REQUIRE(run_until(ctx, [&] { return served_order.size() == static_cast<std::size_t>(resource); }));
  }
  CHECK(served_order == std::vector<int>{1, 102, 203});
  CHECK_FALSE(queue.hand_over(4));  // nobody left: the resource stays with the caller
}

TEST_CASE("a waiter whose deadline passes leaves the line without waking the others", "[handoff_queue]")
{
  asio::io_context ctx;
  handoff_queue<int> queue{ctx.get_executor()};
  int resumed = 0;
  std::optional<int> patient_got, impatient_got = 0;
  asio::co_spawn(
      ctx,
      [&]() -> awaitable<void> {
        patient_got = co_await queue.wait(std::chrono::steady_clock::now() + std::chrono::seconds{60});
        ++resumed;
      },
      asio::detached);
  asio::co_spawn(
      ctx,
      [&]() -> awaitable<void> {
        impatient_got = co_await queue.wait(std::chrono::steady_clock::now() + std::chrono::milliseconds{20});
        ++resumed;
      },
      asio::detached);
  REQUIRE(run_until(ctx, [&] { return resumed == 1; }));
  CHECK_FALSE(impatient_got.has_value());
  CHECK(queue.waiting() == 1);
  CHECK_FALSE(patient_got.has_value());
  REQUIRE(queue.hand_over(7));
  REQUIRE(run_until(ctx, [&] { return resumed == 2; }));
  CHECK(patient_got == 7);
}

TEST_CASE("a hand-over in the same turn as the waiter's deadline still reaches it", "[handoff_queue]")
{
  asio::io_context ctx;
  handoff_queue<int> queue{ctx.get_executor()};
  std::optional<int> got;
  bool resumed = false;
  asio::co_spawn(
      ctx,
      [&]() -> awaitable<void> {
        got = co_await queue.wait(std::chrono::steady_clock::now() + std::chrono::milliseconds{5});
        resumed = true;
      },
      asio::detached);
  ctx.poll();  // the waiter is parked
  REQUIRE(queue.waiting() == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds{20});  // its deadline has passed...
  REQUIRE(queue.hand_over(9));  // ...but the resource is handed over before the expiry runs
  REQUIRE(run_until(ctx, [&] { return resumed; }));
  CHECK(got == 9);  // kept, not lost with the timed-out wait
}

TEST_CASE("close wakes every waiter empty-handed", "[handoff_queue]")
{
  asio::io_context ctx;
  handoff_queue<int> queue{ctx.get_executor()};
  int empty = 0;
  for (int i = 0; i < 2; ++i)
    asio::co_spawn(
        ctx,
        [&]() -> awaitable<void> {
          if (!co_await queue.wait(std::chrono::steady_clock::now() + std::chrono::seconds{60})) ++empty;
        },
        asio::detached);
  REQUIRE(run_until(ctx, [&] { return queue.waiting() == 2; }));
  queue.close();
  REQUIRE(run_until(ctx, [&] { return empty == 2; }));
}
