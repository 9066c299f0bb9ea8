// spawn(): a coroutine that throws is counted, logged and reported, never silently dropped.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "asio/supervised_spawn.hpp"
#include "run_until.hpp"

using namespace tandem;
using tandem::testing::run_until;

TEST_CASE("a coroutine that throws is counted and its failure callback runs", "[spawn]")
{
  asio::io_context ctx;
  auto const before = coroutine_failures();
  bool called_back = false;
  spawn(
      ctx.get_executor(), "test_thrower",
      []() -> awaitable<void> {
        throw std::runtime_error{"boom"};
        co_return;
      },
      [&] { called_back = true; });
  REQUIRE(run_until(ctx, [&] { return called_back; }));
  CHECK(coroutine_failures() == before + 1);
}

TEST_CASE("a coroutine that ends normally is not a failure", "[spawn]")
{
  asio::io_context ctx;
  auto const before = coroutine_failures();
  bool ran = false, called_back = false;
  spawn(
      ctx.get_executor(), "test_fine", [&]() -> awaitable<void> {
        ran = true;
        co_return;
      },
      [&] { called_back = true; });
  REQUIRE(run_until(ctx, [&] { return ran; }));
  ctx.poll();
  CHECK_FALSE(called_back);
  CHECK(coroutine_failures() == before);
}
