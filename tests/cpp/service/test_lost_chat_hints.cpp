// The hints for chats with a message that will never be published live: each chat told once
// for the losses it has, a loss during its hint told again, a chat the layer cannot reach now
// not holding up the others, and a failure followed by a pause, not a spin.
#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "run_coroutine.hpp"
#include "service/lost_chat_hints.hpp"

using namespace tandem;
using testing::run_until;

namespace {

struct tell_log {
  std::map<std::int64_t, int> failures_left;  // per chat: the next attempts fail
  std::vector<std::int64_t> attempts;
  std::vector<std::int64_t> told;
  std::function<void(std::int64_t)> during;  // runs while a hint is on its way

  service::lost_chat_hints::tell_fn fn()
  {
    return [this](std::int64_t chat) -> awaitable<bool> {
      attempts.push_back(chat);
      if (during) std::exchange(during, {})(chat);
      if (failures_left[chat] > 0) {
        --failures_left[chat];
        co_return false;
      }
      told.push_back(chat);
      co_return true;
    };
  }
};

}  // namespace

TEST_CASE("each chat is told once for the losses it had when its turn came", "[lost_chat_hints]")
{
  asio::io_context ctx;
  tell_log log;
  service::lost_chat_hints hints{ctx.get_executor(), log.fn(), std::chrono::milliseconds{5}};
  for (std::int64_t chat : {7, 8, 7, 7}) hints.add(chat);
  hints.start();
  REQUIRE(run_until(ctx, [&] { return hints.empty(); }));
  hints.stop();
  CHECK(log.told == std::vector<std::int64_t>{7, 8});
}

TEST_CASE("a loss that comes while its chat's hint is on its way is told again", "[lost_chat_hints]")
{
  asio::io_context ctx;
  tell_log log;
  service::lost_chat_hints hints{ctx.get_executor(), log.fn(), std::chrono::milliseconds{5}};
  log.during = [&](std::int64_t chat) { hints.add(chat); };  // the client may have synced already
  hints.add(7);
  hints.start();
  REQUIRE(run_until(ctx, [&] { return log.told.size() == 2; }));
  hints.stop();
  CHECK(log.told == std::vector<std::int64_t>{7, 7});
}

TEST_CASE("a chat whose hint the layer cannot take now does not hold up the others", "[lost_chat_hints]")
{
  asio::io_context ctx;
  tell_log log;
  log.failures_left[7] = 1000;  // its shard is down
  service::lost_chat_hints hints{ctx.get_executor(), log.fn(), std::chrono::minutes{10}};
  for (std::int64_t chat : {7, 8, 9}) hints.add(chat);
  hints.start();
  REQUIRE(run_until(ctx, [&] { return log.told.size() == 2; }));  // not after the pause
  testing::run_for(ctx, std::chrono::milliseconds{20});
  hints.stop();
  CHECK(log.told == std::vector<std::int64_t>{8, 9});
  CHECK(log.attempts == std::vector<std::int64_t>{7, 8, 9, 7});  // then the pause
  CHECK_FALSE(hints.empty());
}

TEST_CASE("once every chat in the line has failed the hints pause, even when new losses come", "[lost_chat_hints]")
{
  asio::io_context ctx;
  tell_log log;
  log.failures_left[7] = log.failures_left[8] = 1000;  // the layer is down
  service::lost_chat_hints hints{ctx.get_executor(), log.fn(), std::chrono::minutes{10}};
  hints.add(7);
  hints.add(8);
  hints.start();
  REQUIRE(run_until(ctx, [&] { return log.attempts.size() == 2; }));
  for (std::int64_t chat = 100; chat < 120; ++chat) hints.add(chat);  // every loss of an outage
  testing::run_for(ctx, std::chrono::milliseconds{20});
  hints.stop();
  CHECK(log.attempts.size() == 2);
}

TEST_CASE("a hint on its way keeps a drain waiting", "[lost_chat_hints]")
{
  asio::io_context ctx;
  tell_log log;
  service::lost_chat_hints hints{ctx.get_executor(), log.fn(), std::chrono::milliseconds{5}};
  std::optional<bool> empty_while_telling;
  log.during = [&](std::int64_t) { empty_while_telling = hints.empty(); };
  hints.add(7);
  hints.start();
  REQUIRE(run_until(ctx, [&] { return hints.empty(); }));
  hints.stop();
  CHECK(empty_while_telling == false);
}

TEST_CASE("a chat whose hint threw keeps its place in the line", "[lost_chat_hints]")
{
  asio::io_context ctx;
  tell_log log;
  bool thrown = false;
  auto tell = log.fn();
  auto throwing_once = [&](std::int64_t chat) -> awaitable<bool> {
    if (!std::exchange(thrown, true)) throw std::runtime_error("a bug in the adapter");
    co_return co_await tell(chat);
  };
  service::lost_chat_hints hints{ctx.get_executor(), throwing_once, std::chrono::milliseconds{5}};
  hints.add(7);
  hints.start();  // supervised: started again after the failure
  REQUIRE(run_until(ctx, [&] { return hints.empty(); }));
  hints.stop();
  CHECK(log.told == std::vector<std::int64_t>{7});
}
