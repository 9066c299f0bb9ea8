// The republisher on its own: oldest first, one at a time, a pause after each failure, a bound
// on what it keeps, and what it gave up reported. (The drain at exit is messaging's.)
#include <catch2/catch.hpp>

#include <deque>

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
  publish_log log;
  log.answers = {false, false, true, false, true};
  service::republisher r{ctx.get_executor(), log.fn(), 100, std::chrono::milliseconds{5}};
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
  publish_log log;
  service::republisher r{ctx.get_executor(), log.fn(), 2, std::chrono::milliseconds{5}};
  for (core::seq_t seq = 1; seq <= 3; ++seq) r.add(message(seq));
  CHECK(r.size() == 2);
  r.start();
  REQUIRE(run_until(ctx, [&] { return r.empty(); }));
  r.stop();
  CHECK(log.taken == std::vector<core::seq_t>{2, 3});
}

TEST_CASE("a message dropped while its publish is on its way is reported given up only if that publish fails",
          "[republisher]")
{
  asio::io_context ctx;
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
  service::republisher r{ctx.get_executor(), publish, 1, std::chrono::milliseconds{5},
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
