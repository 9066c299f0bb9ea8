// A socket's presence batching (net/presence_batch): the interval between frames is measured on
// the monotonic clock, and coalescing a change costs O(1), not a scan of what waits (issue 14).
#include <catch2/catch.hpp>

#include <chrono>

#include "net/presence_batch.hpp"

using namespace std::chrono_literals;
using tandem::core::unix_ms;
using tandem::net::presence_batch;
using tandem::protocol::presence_entry;

namespace {

/// Wall and monotonic time moved separately, as when an operator or NTP sets the system clock.
class two_clocks final : public tandem::service::clock {
 public:
  unix_ms wall_ms() const noexcept override { return wall; }
  std::chrono::steady_clock::time_point steady_now() const noexcept override
  {
    return std::chrono::steady_clock::time_point{std::chrono::milliseconds{steady}};
  }
  unix_ms wall = 1'700'000'000'000;
  unix_ms steady = 5'000'000;
};

presence_entry
online(std::int64_t user, bool is_online = true)
{
  return presence_entry{user, is_online, std::nullopt, false};
}

constexpr auto interval = 500ms;

}  // namespace

TEST_CASE("presence batch: the first change goes at once, later ones wait for the interval", "[net][presence]")
{
  two_clocks clock;
  presence_batch batch;
  batch.add(online(1));
  CHECK(batch.wait(clock, interval) == 0ms);
  CHECK(batch.take(clock).size() == 1);
  clock.wall += 100;
  clock.steady += 100;
  batch.add(online(2));
  CHECK(batch.wait(clock, interval) == 400ms);
  clock.wall += 400;
  clock.steady += 400;
  CHECK(batch.wait(clock, interval) == 0ms);
}

TEST_CASE("presence batch: a wall clock set back does not stall frames", "[net][presence]")
{
  two_clocks clock;
  presence_batch batch;
  batch.add(online(1));
  REQUIRE(batch.take(clock).size() == 1);
  clock.wall -= 3'600'000;  // set back an hour
  clock.steady += 600;
  batch.add(online(2));
  CHECK(batch.wait(clock, interval) == 0ms);
}

TEST_CASE("presence batch: a wall clock set forward does not let frames burst", "[net][presence]")
{
  two_clocks clock;
  presence_batch batch;
  batch.add(online(1));
  REQUIRE(batch.take(clock).size() == 1);
  clock.wall += 3'600'000;  // set forward an hour
  clock.steady += 10;
  batch.add(online(2));
  CHECK(batch.wait(clock, interval) == 490ms);
}

TEST_CASE("presence batch: one entry per user, latest state, in the order of first change", "[net][presence]")
{
  two_clocks clock;
  presence_batch batch;
  batch.add(online(1));
  batch.add(online(2));
  batch.add(online(1, false));
  auto const entries = batch.take(clock);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].user == 1);
  CHECK_FALSE(entries[0].online);
  CHECK(entries[1].user == 2);
  CHECK(batch.empty());
}

TEST_CASE("presence batch: coalescing a storm of 1,000 users costs O(1) per change", "[net][presence]")
{
  two_clocks clock;
  presence_batch batch;
  // Each of 1,000 members arrives, then leaves, within one interval.
  for (std::int64_t user = 1; user <= 1000; ++user) batch.add(online(user));
  for (std::int64_t user = 1; user <= 1000; ++user) batch.add(online(user, false));
  INFO("entries looked at: " << batch.visits());
  CHECK(batch.visits() <= 2 * 2000);
  auto const entries = batch.take(clock);
  REQUIRE(entries.size() == 1000);
  CHECK(entries.front().user == 1);
  CHECK_FALSE(entries.front().online);
  CHECK(entries.back().user == 1000);
}
