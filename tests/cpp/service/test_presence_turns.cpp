// The line that orders one user's announcements: turns go in the order they were taken, and a
// turn leaves the line however its holder ends (done, thrown out of, torn down), so the next
// announcement is never held back for good.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <vector>

#include "run_coroutine.hpp"
#include "service/presence_turns.hpp"

using namespace tandem;
using testing::run_until;

namespace {

/// Waits for `turn`, notes `name`, then leaves (by going out of scope).
awaitable<void>
announce_in_turn(service::announce_turn turn, int name, std::vector<int>& said)
{
  co_await turn.wait();
  said.push_back(name);
}

}  // namespace

TEST_CASE("turns announce in the order they were taken", "[presence][turns]")
{
  asio::io_context ctx;
  service::announce_lines lines{ctx.get_executor()};
  std::vector<int> said;
  auto first = lines.take(7);
  auto second = lines.take(7);
  auto third = lines.take(7);
  // Started last first: each still waits for the turns taken before it.
  asio::co_spawn(ctx, announce_in_turn(std::move(third), 3, said), asio::detached);
  asio::co_spawn(ctx, announce_in_turn(std::move(second), 2, said), asio::detached);
  asio::co_spawn(ctx, announce_in_turn(std::move(first), 1, said), asio::detached);
  REQUIRE(run_until(ctx, [&] { return said.size() == 3; }));
  CHECK(said == std::vector<int>{1, 2, 3});
  CHECK(lines.users() == 0);
}

TEST_CASE("a turn dropped by an exception between taking and using it does not stall the next", "[presence][turns]")
{
  asio::io_context ctx;
  service::announce_lines lines{ctx.get_executor()};
  std::vector<int> said;
  try {
    auto offline = lines.take(7);  // an offline decided: its turn is taken before the lookups
    // An online decided after it waits behind it.
    asio::co_spawn(ctx, announce_in_turn(lines.take(7), 2, said), asio::detached);
    throw std::runtime_error{"the contacts lookup failed"};
  } catch (std::runtime_error const&) {
  }
  REQUIRE(run_until(ctx, [&] { return said.size() == 1; }, std::chrono::seconds{5}));
  CHECK(lines.users() == 0);
}

TEST_CASE("an announcement torn down before it ran leaves the line", "[presence][turns]")
{
  asio::io_context ctx;
  service::announce_lines lines{ctx.get_executor()};
  std::vector<int> said;
  {
    // Its frame holds the turn; destroyed without ever running (as a spawn that never started).
    auto never_run = announce_in_turn(lines.take(7), 1, said);
  }
  asio::co_spawn(ctx, announce_in_turn(lines.take(7), 2, said), asio::detached);
  REQUIRE(run_until(ctx, [&] { return said.size() == 1; }, std::chrono::seconds{5}));
  CHECK(said == std::vector<int>{2});
  CHECK(lines.users() == 0);
}

TEST_CASE("a moved-from turn leaves nothing behind, and leaving twice is harmless", "[presence][turns]")
{
  asio::io_context ctx;
  service::announce_lines lines{ctx.get_executor()};
  auto turn = lines.take(7);
  auto moved = std::move(turn);
  CHECK_FALSE(turn.held());
  CHECK(lines.users() == 1);
  moved.leave();
  moved.leave();
  CHECK(lines.users() == 0);
}
