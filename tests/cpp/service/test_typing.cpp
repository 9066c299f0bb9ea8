// The typing use case against in-memory fakes: what is forwarded (the core's rate rules), what
// the store keeps for sockets opening later, and what happens when the store fails.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "fakes/fake_message_bus.hpp"
#include "fakes/fake_typing_store.hpp"
#include "fakes/manual_clock.hpp"
#include "run_coroutine.hpp"
#include "service/typing.hpp"

using namespace tandem;
using fakes::fault;
using nlohmann::json;
using testing::run_coroutine;

namespace {

constexpr std::int64_t ann = 1, bo = 2, chat_id = 10;

struct typing_world {
  asio::io_context ctx;
  fakes::manual_clock clock;
  fakes::fake_typing_store store;
  fakes::fake_message_bus bus;
  service::typing_settings settings;  // start interval 2 s, server expiry 6 s
  service::messaging_settings groups;
  ops::thread_metrics metrics;
  service::typing typing{store, bus, clock, settings, groups, metrics};

  void start(std::int64_t user, std::string name) { run_coroutine(ctx, typing.start(user, name, chat_id)); }
  void stop(std::int64_t user, std::string name) { run_coroutine(ctx, typing.stop(user, name, chat_id)); }
  std::vector<json> notices() const
  {
    std::vector<json> out;
    for (auto const& event : bus.sent_to("chat_10")) out.push_back(event);
    return out;
  }
};

}  // namespace

TEST_CASE("a start is kept with its expiry and sent to the chat, another within the interval is not", "[typing]")
{
  typing_world w;
  w.start(ann, "Ann");
  auto notices = w.notices();
  REQUIRE(notices.size() == 1);
  CHECK(notices[0]["type"] == "chat.typing");
  CHECK(notices[0]["user"] == ann);
  CHECK(notices[0]["name"] == "Ann");
  CHECK(notices[0]["typing"] == true);
  auto const expires_at = fakes::manual_clock::start + w.settings.policy.server_expiry_ms;
  CHECK(notices[0]["expires_at"] == expires_at);
  CHECK(w.store.chats[chat_id].at("1:Ann") == expires_at);
  CHECK(w.store.last_expiry.count() == w.settings.policy.server_expiry_ms);

  w.clock.advance(std::chrono::milliseconds{500});
  w.start(ann, "Ann");  // keystrokes keep coming: not forwarded again so soon
  CHECK(w.notices().size() == 1);
  w.clock.advance(std::chrono::milliseconds{w.settings.policy.start_interval_ms});
  w.start(ann, "Ann");
  CHECK(w.notices().size() == 2);
  CHECK(w.metrics.typing_forwards == 2);
}

TEST_CASE("a stop is sent and forgets the typist, a stop without a start sends nothing", "[typing]")
{
  typing_world w;
  w.stop(ann, "Ann");
  CHECK(w.notices().empty());
  w.start(ann, "Ann");
  w.stop(ann, "Ann");
  auto const notices = w.notices();
  REQUIRE(notices.size() == 2);
  CHECK(notices[1]["typing"] == false);
  CHECK(w.store.chats[chat_id].empty());
  // Once stopped, a new start is forwarded at once.
  w.start(ann, "Ann");
  CHECK(w.notices().size() == 3);
}

TEST_CASE("a sent message ends its sender's typing", "[typing]")
{
  typing_world w;
  w.start(ann, "Ann");
  run_coroutine(w.ctx, w.typing.message_sent(ann, "Ann", chat_id));
  auto const notices = w.notices();
  REQUIRE(notices.size() == 2);
  CHECK(notices[1]["typing"] == false);
  CHECK(w.store.chats[chat_id].empty());
}

TEST_CASE("a start the store did not keep is not sent, but a stop is sent even when the store fails", "[typing]")
{
  typing_world w;
  w.store.faults.fail_next(fault::refused);  // -OOM: new sockets would never see this typist
  w.start(ann, "Ann");
  CHECK(w.notices().empty());
  CHECK(w.metrics.typing_forwards == 0);

  typing_world v;
  v.start(ann, "Ann");
  v.store.faults.fail_next(fault::unavailable);
  v.stop(ann, "Ann");  // nobody may stay "typing" on screen
  REQUIRE(v.notices().size() == 2);
  CHECK(v.notices()[1]["typing"] == false);
}

TEST_CASE("current typists come from the store: unexpired ones, names kept whole, malformed members skipped",
          "[typing]")
{
  typing_world w;
  auto const now = fakes::manual_clock::start;
  std::map<std::string, core::unix_ms> const stored = {
      {"1:Ann: the first", now + 3000},  // a name may hold colons
      {"2:Bo", now},                     // expired at this very moment
      {"junk", now + 3000},
      {"x:Cy", now + 3000},
  };
  w.store.chats[chat_id] = stored;
  auto const typists = run_coroutine(w.ctx, w.typing.current(chat_id));
  REQUIRE(typists.size() == 1);
  CHECK(typists[0].user == ann);
  CHECK(typists[0].name == "Ann: the first");
  CHECK(typists[0].typing);
  CHECK(typists[0].expires_at == now + 3000);
  w.store.faults.fail_next(fault::unavailable);
  CHECK(run_coroutine(w.ctx, w.typing.current(chat_id)).empty());
}

TEST_CASE("typing notices of one worker carry increasing order numbers, even within one millisecond", "[typing]")
{
  typing_world w;
  w.start(ann, "Ann");
  w.start(bo, "Bo");  // same wall millisecond
  w.stop(ann, "Ann");
  auto const notices = w.notices();
  REQUIRE(notices.size() == 3);
  std::size_t compared = 0;
  for (std::size_t i = 1; i < notices.size(); ++i, ++compared)
    CHECK(notices[i]["order"].get<std::int64_t>() > notices[i - 1]["order"].get<std::int64_t>());
  CHECK(compared == 2);
}
