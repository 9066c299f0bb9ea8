// The republisher on its own: oldest first, one at a time, a pause after each failure, a bound
// on what it keeps, a drain with a limit.
#include <catch2/catch.hpp>

#include <deque>

#include "fakes/manual_clock.hpp"
#include "run_coroutine.hpp"
#include "service/republisher.hpp"

using namespace tandem;
using testing::run_until;

namespace {

struct publish_log {
  std::deque<bool> answers;  // what the next attempts answer (then: taken)
  std::vector<core::seq_t> attempts;
  std::vector<core::seq_t> taken;

  service::republisher::publish_fn fn()
  {
    return [this](protocol::message_record const& m) -> awaitable<bool> {
      attempts.push_back(m.seq);
      bool ok = true;
      if (!answers.empty()) {
        ok = answers.front();
        answers.pop_front();
      }
      if (ok) taken.push_back(m.seq);
      co_return ok;
    };
  }
};

protocol::message_record
message(core::seq_t seq)
{
  return {100 + seq, 10, seq, 1, "c-" + std::to_string(seq), "hi", 0};
}

}  // namespace

TEST_CASE("the backlog is published oldest first, and a failure is retried before anything newer", "[republisher]")
{
  asio::io_context ctx;
  fakes::manual_clock clock;
  publish_log log;
  log.answers = {false, false, true, false, true};
  service::republisher r{ctx.get_executor(), log.fn(), clock, 100, std::chrono::milliseconds{5}};
  for (core::seq_t seq = 1; seq <= 3; ++seq) r.add(message(seq));
  r.start();
  REQUIRE(run_until(ctx, [&] { return r.empty(); }));
  r.stop();
  CHECK(log.taken == std::vector<core::seq_t>{1, 2, 3});
  CHECK(log.attempts == std::vector<core::seq_t>{1, 1, 1, 2, 2, 3});
}

TEST_CASE("beyond its capacity the republisher gives up the oldest message", "[republisher]")
{
  asio::io_context ctx;
  fakes::manual_clock clock;
  publish_log log;
  service::republisher r{ctx.get_executor(), log.fn(), clock, 2, std::chrono::milliseconds{5}};
  for (core::seq_t seq = 1; seq <= 3; ++seq) r.add(message(seq));
  CHECK(r.size() == 2);
  r.start();
  REQUIRE(run_until(ctx, [&] { return r.empty(); }));
  r.stop();
  CHECK(log.taken == std::vector<core::seq_t>{2, 3});
}

TEST_CASE("a drain ends as soon as the backlog is empty", "[republisher]")
{
  asio::io_context ctx;
  fakes::manual_clock clock;
  publish_log log;
  log.answers = {false};
  service::republisher r{ctx.get_executor(), log.fn(), clock, 100, std::chrono::milliseconds{5}};
  r.add(message(1));
  r.start();
  auto const started = std::chrono::steady_clock::now();
  testing::run_coroutine(ctx, r.drain(std::chrono::minutes{1}));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds{30});
  CHECK(log.taken == std::vector<core::seq_t>{1});
  r.stop();
}

TEST_CASE("a drain gives up at its limit, measured on the clock it was given", "[republisher]")
{
  asio::io_context ctx;
  fakes::manual_clock clock;
  publish_log log;
  log.answers = std::deque<bool>(1000, false);
  service::republisher r{ctx.get_executor(), log.fn(), clock, 100, std::chrono::milliseconds{5}};
  r.add(message(1));
  r.start();
  bool drained = false;
  asio::co_spawn(ctx, r.drain(std::chrono::minutes{10}), [&](std::exception_ptr) { drained = true; });
  testing::run_for(ctx, std::chrono::milliseconds{30});
  CHECK_FALSE(drained);
  clock.advance(std::chrono::minutes{11});  // time the test controls, not the machine
  REQUIRE(run_until(ctx, [&] { return drained; }));
  CHECK(r.size() == 1);
  r.stop();
}

TEST_CASE("a message dropped while its publish is on its way is reported given up only if that publish fails",
          "[republisher]")
{
  asio::io_context ctx;
  fakes::manual_clock clock;
  std::deque<bool> answers{true, false};
  std::vector<core::seq_t> given_up;
  std::size_t in_flight = 0, calls = 0;
  asio::steady_timer slow{ctx};
  auto publish = [&](protocol::message_record const&) -> awaitable<bool> {
    ++calls;
    ++in_flight;
    slow.expires_after(std::chrono::milliseconds{20});
    error_code ec;
    co_await slow.async_wait(as_value(ec));
    --in_flight;
    bool const ok = answers.empty() || answers.front();
    if (!answers.empty()) answers.pop_front();
    co_return ok;
  };
  service::republisher r{ctx.get_executor(), publish, clock, 1, std::chrono::milliseconds{5},
                         [&](protocol::message_record const& m) { given_up.push_back(m.seq); }};
  r.add(message(1));
  r.start();
  REQUIRE(run_until(ctx, [&] { return calls == 1; }));
  r.add(message(2));  // drops 1 while its publish is on its way; that publish gets through
  REQUIRE(run_until(ctx, [&] { return calls == 2; }));  // 2's turn
  REQUIRE(in_flight == 1);
  r.add(message(3));  // drops 2 while its publish is on its way; that publish fails: lost
  REQUIRE(run_until(ctx, [&] { return r.empty(); }));
  r.stop();
  CHECK(given_up == std::vector<core::seq_t>{2});
}
