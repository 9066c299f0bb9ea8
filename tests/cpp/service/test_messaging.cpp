// The messaging use cases against in-memory fakes: acks follow commits, store failures become
// typed error frames, publishes that fail are retried in order, sync never answers in part.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "fakes/fake_message_bus.hpp"
#include "fakes/fake_message_store.hpp"
#include "fakes/manual_clock.hpp"
#include "run_coroutine.hpp"
#include "service/messaging.hpp"

using namespace tandem;
using fakes::fault;
using nlohmann::json;
using testing::run_coroutine;
using testing::run_until;

namespace {

constexpr std::int64_t ann = 1, bo = 2, chat_id = 10;

service::messaging_settings
small_settings()
{
  service::messaging_settings s;
  s.sync_page = 2;
  s.sync_max = 5;
  s.republish_pause = std::chrono::milliseconds{20};
  return s;
}

struct messaging_world {
  asio::io_context ctx;
  fakes::manual_clock clock;
  fakes::fake_message_store store{clock};
  fakes::fake_message_bus bus;
  service::messaging_settings settings = small_settings();
  ops::thread_metrics metrics;
  service::messaging chat{ctx.get_executor(), store, bus, clock, settings, metrics};

  messaging_world() { store.add_chat(chat_id, {ann, bo}, false); }
  ~messaging_world() { chat.stop(); }

  service::send_outcome send(std::int64_t user, std::string client_id, std::string body = "hi")
  {
    return run_coroutine(ctx, chat.send(user, protocol::send_request{chat_id, std::move(client_id), std::move(body)}));
  }
  std::vector<core::seq_t> published_seqs() const
  {
    std::vector<core::seq_t> seqs;
    for (auto const& event : bus.sent_to("chat_10"))
      if (event["type"] == "chat.message") seqs.push_back(event["seq"].get<core::seq_t>());
    return seqs;
  }
  /// The `resync` hints sent to the chat's group, as the frames sockets get.
  std::vector<json> lost_hints() const
  {
    std::vector<json> hints;
    for (auto const& event : bus.sent_to("chat_10"))
      if (event["type"] == "tandem.frame") hints.push_back(json::parse(event["frame"].dump()));
    return hints;
  }
};

}  // namespace

TEST_CASE("a send is acknowledged with the stored message only once it is committed", "[messaging]")
{
  messaging_world w;
  w.store.faults.delay = std::chrono::milliseconds{30};  // a slow commit: the ack waits for it
  auto const out = w.send(ann, "c-1");
  auto const ack = json::parse(out.reply);
  CHECK(ack["type"] == "ack");
  CHECK(ack["client_id"] == "c-1");
  CHECK(ack["seq"] == 1);
  CHECK(ack["duplicate"] == false);
  CHECK(w.store.commits == 1);
  REQUIRE(out.publish);
  CHECK(out.publish->seq == 1);
  // The ack needs only the store: nothing was published on the way.
  CHECK(w.bus.sent.empty());
}

TEST_CASE("a resend with the same client_id is acknowledged as a duplicate and published again", "[messaging]")
{
  messaging_world w;
  auto const first = w.send(ann, "c-1");
  auto const again = w.send(ann, "c-1");
  auto const ack = json::parse(again.reply);
  CHECK(ack["duplicate"] == true);
  CHECK(ack["id"] == json::parse(first.reply)["id"]);
  // The first attempt's commit may have lost its reply, so it may never have been published.
  REQUIRE(again.publish);
  CHECK(again.publish->id == json::parse(first.reply)["id"].get<std::int64_t>());
  CHECK(w.store.commits == 1);
}

TEST_CASE("a send the store did not commit is never acknowledged: each failure has its error frame", "[messaging]")
{
  struct failure_case {
    fault injected;
    double breaker_retry_after;
    char const* code;
    std::optional<double> retry_after;
  };
  failure_case const cases[] = {
      {fault::unavailable, 0.0, "store_unavailable", 0.25},  // never less than a quarter second
      {fault::unavailable, 3.0, "store_unavailable", 3.0},   // the breaker's remaining open time
      {fault::failed, 0.0, "internal", std::nullopt},
      {fault::forbidden, 0.0, "forbidden", std::nullopt},
  };
  std::size_t checked = 0;
  for (auto const& c : cases) {
    messaging_world w;
    w.store.retry_after = c.breaker_retry_after;
    w.store.faults.fail_next(c.injected);
    auto const out = w.send(ann, "c-9");
    auto const frame = json::parse(out.reply);
    INFO(out.reply);
    CHECK(frame["type"] == "error");
    CHECK(frame["code"] == c.code);
    CHECK(frame["ref"] == "c-9");  // the client knows which message to retry
    if (c.retry_after) CHECK(frame["retry_after"].get<double>() == Approx(*c.retry_after));
    else CHECK_FALSE(frame.contains("retry_after"));
    CHECK_FALSE(out.publish);
    CHECK(w.store.commits == 0);
    ++checked;
  }
  CHECK(checked == 4);
}

TEST_CASE("a non-member's send is refused as forbidden", "[messaging]")
{
  messaging_world w;
  auto const frame = json::parse(w.send(99, "c-1").reply);
  CHECK(frame["code"] == "forbidden");
  CHECK(w.store.commits == 0);
}

TEST_CASE("publishes the bus could not take are retried by the republisher in their order", "[messaging][republisher]")
{
  messaging_world w;
  w.chat.start();
  w.bus.faults.fail_next(fault::unavailable, 3);
  for (auto const* id : {"c-1", "c-2", "c-3"}) {
    auto const out = w.send(ann, id);
    REQUIRE(out.publish);
    // The first fails and is queued; the next go behind it even if the bus answered them.
    run_coroutine(w.ctx, w.chat.publish(*out.publish));
  }
  REQUIRE(run_until(w.ctx, [&] { return w.bus.sent.size() == 3; }));
  CHECK(w.published_seqs() == std::vector<core::seq_t>{1, 2, 3});
  CHECK(w.bus.sent[0].event["type"] == "chat.message");
  auto const codes = core::all_error_codes();
  auto const slot = std::find(codes.begin(), codes.end(), core::error_code::layer_unavailable);
  REQUIRE(slot != codes.end());
  CHECK(w.metrics.errors[static_cast<std::size_t>(slot - codes.begin())] >= 1);
}

TEST_CASE("a publish the bus refuses for good is not retried, and the chat's sockets are told to sync", "[messaging][republisher]")
{
  messaging_world w;
  w.chat.start();
  w.bus.faults.fail_next(fault::refused);
  auto const out = w.send(ann, "c-1");
  run_coroutine(w.ctx, w.chat.publish(*out.publish));
  testing::run_for(w.ctx, std::chrono::milliseconds{100});  // several retry pauses
  CHECK(w.bus.faults.calls() == 2);  // the message once, then the hint
  CHECK(w.published_seqs().empty());
  CHECK(w.lost_hints() == std::vector<json>{{{"type", "resync"}, {"reason", "publish_lost"}, {"chat", chat_id}}});
  CHECK(w.bus.sent_to("chat_10").front()["chat"] == chat_id);  // a socket whose user left drops it
}

TEST_CASE("messages given up beyond the republisher's capacity make their chat sync once the layer answers",
          "[messaging][republisher]")
{
  messaging_world w;
  w.settings.republish_capacity = 2;
  service::messaging chat{w.ctx.get_executor(), w.store, w.bus, w.clock, w.settings, w.metrics};
  w.bus.faults.fail_always(fault::unavailable);
  chat.start();
  for (auto const* id : {"c-1", "c-2", "c-3", "c-4"}) {
    auto const out = w.send(ann, id);
    run_coroutine(w.ctx, chat.publish(*out.publish));
  }
  testing::run_for(w.ctx, std::chrono::milliseconds{50});
  CHECK(w.lost_hints().empty());  // nothing can be told while the layer is down
  w.bus.faults.heal();
  REQUIRE(run_until(w.ctx, [&] { return w.published_seqs().size() == 2 && !w.lost_hints().empty(); }));
  testing::run_for(w.ctx, std::chrono::milliseconds{50});
  chat.stop();
  CHECK(w.published_seqs() == std::vector<core::seq_t>{3, 4});
  // Two messages lost, one hint: the client's sync brings both.
  CHECK(w.lost_hints() == std::vector<json>{{{"type", "resync"}, {"reason", "publish_lost"}, {"chat", chat_id}}});
}

TEST_CASE("publish_later queues behind earlier failures without waiting", "[messaging][republisher]")
{
  messaging_world w;
  w.bus.faults.fail_always(fault::unavailable);
  w.chat.start();
  auto const first = w.send(ann, "c-1");
  run_coroutine(w.ctx, w.chat.publish(*first.publish));
  auto const second = w.send(ann, "c-2");
  w.chat.publish_later(*second.publish);
  w.bus.faults.heal();
  REQUIRE(run_until(w.ctx, [&] { return w.bus.sent.size() == 2; }));
  CHECK(w.published_seqs() == std::vector<core::seq_t>{1, 2});
}

TEST_CASE("a drain at exit waits for the backlog, but no longer than its limit", "[messaging][republisher]")
{
  messaging_world w;
  bool const layer_comes_back = GENERATE(true, false);
  if (layer_comes_back)
    w.bus.faults.fail_next(fault::unavailable);
  else
    w.bus.faults.fail_always(fault::unavailable);
  w.chat.start();
  auto const out = w.send(ann, "c-1");
  run_coroutine(w.ctx, w.chat.publish(*out.publish));
  auto const limit = layer_comes_back ? std::chrono::milliseconds{std::chrono::minutes{1}} : std::chrono::milliseconds{60};
  auto const started = std::chrono::steady_clock::now();
  run_coroutine(w.ctx, w.chat.drain_publishes(limit));
  auto const took = std::chrono::steady_clock::now() - started;
  if (layer_comes_back) {
    // Ends as soon as the backlog is published (and its losses told), not at the limit.
    CHECK(took < std::chrono::seconds{30});
    CHECK(w.published_seqs() == std::vector<core::seq_t>{1});
    CHECK_FALSE(w.chat.unpublished());
  } else {
    CHECK(took >= std::chrono::milliseconds{60});
    CHECK(w.bus.sent.empty());
  }
}

TEST_CASE("a read receipt tells the reader's other tabs and the sender, once", "[messaging][receipts]")
{
  messaging_world w;
  w.send(ann, "c-1");
  w.send(ann, "c-2");
  auto const error = run_coroutine(w.ctx, w.chat.receipt(bo, {chat_id, core::receipt_kind::read, 2, std::nullopt}));
  CHECK_FALSE(error);
  auto const tabs = w.bus.sent_to("user_2");
  REQUIRE_FALSE(tabs.empty());
  CHECK(tabs.back()["type"] == "chat.receipt");
  CHECK(tabs.back()["kind"] == "read");
  CHECK(tabs.back()["upto"] == 2);
  auto const sender = w.bus.sent_to("user_1");
  REQUIRE_FALSE(sender.empty());
  CHECK(sender.back()["type"] == "chat.status");
  CHECK(sender.back()["status"] == "read");
  CHECK(sender.back()["upto"] == 2);
  // The same receipt again says nothing new: nothing is sent.
  auto const sent_before = w.bus.sent.size();
  CHECK_FALSE(run_coroutine(w.ctx, w.chat.receipt(bo, {chat_id, core::receipt_kind::read, 2, std::nullopt})));
  CHECK(w.bus.sent.size() == sent_before);
}

TEST_CASE("the last members' receipts racing in tell a group's sender once", "[messaging][receipts]")
{
  // Both receipts are applied before either reads the markers (a slow store), so each finds
  // the sender's minimum moved: the second one's news is the first one's, and is dropped.
  constexpr std::int64_t cy = 3, group = 20;
  messaging_world w;
  w.store.add_chat(group, {ann, bo, cy}, true);
  run_coroutine(w.ctx, w.chat.send(ann, protocol::send_request{group, "g-1", "hi all"}));
  w.store.faults.delay = std::chrono::milliseconds{5};
  int done = 0;
  for (auto const reader : {bo, cy}) {
    auto receipt = [&w, &done, reader]() -> awaitable<void> {
      co_await w.chat.receipt(reader, {group, core::receipt_kind::delivered, 1, std::nullopt});
      ++done;
    };
    asio::co_spawn(w.ctx, std::move(receipt), asio::detached);
  }
  REQUIRE(run_until(w.ctx, [&] { return done == 2; }));
  CHECK(w.store.receipt_markers_read == 2);  // the race: both found news
  auto const told = w.bus.sent_to("user_1");
  auto const statuses = std::count_if(told.begin(), told.end(), [](json const& e) { return e["type"] == "chat.status"; });
  CHECK(statuses == 1);
  REQUIRE_FALSE(told.empty());
  CHECK(told.back()["upto"] == 1);
}

TEST_CASE("a receipt the store cannot take is answered store_unavailable", "[messaging][receipts]")
{
  messaging_world w;
  w.send(ann, "c-1");
  w.store.faults.fail_next(fault::unavailable);
  auto const error = run_coroutine(w.ctx, w.chat.receipt(bo, {chat_id, core::receipt_kind::delivered, 1, std::nullopt}));
  REQUIRE(error);
  CHECK(json::parse(*error)["code"] == "store_unavailable");
  CHECK(w.bus.sent.empty());
}

TEST_CASE("a sync fills the whole gap in pages, in seq order", "[messaging][sync]")
{
  messaging_world w;
  for (int i = 1; i <= 5; ++i) w.send(ann, "c-" + std::to_string(i));
  auto const out = run_coroutine(w.ctx, w.chat.sync(bo, {chat_id, 0, std::nullopt}));
  REQUIRE(out.frames.size() == 3);  // pages of 2
  std::vector<core::seq_t> seqs;
  for (auto const& text : out.frames) {
    auto const frame = json::parse(text);
    CHECK(frame["type"] == "sync");
    for (auto const& m : frame["messages"]) seqs.push_back(m["seq"].get<core::seq_t>());
  }
  CHECK(seqs == std::vector<core::seq_t>{1, 2, 3, 4, 5});
  CHECK(json::parse(out.frames.front())["more"] == true);
  CHECK(json::parse(out.frames.back())["more"] == false);
  CHECK(out.covered_upto == 5);
}

TEST_CASE("a gap larger than sync_max is answered with reload, not with part of it", "[messaging][sync]")
{
  messaging_world w;
  for (int i = 1; i <= 6; ++i) w.send(ann, "c-" + std::to_string(i));
  auto const out = run_coroutine(w.ctx, w.chat.sync(bo, {chat_id, 0, std::nullopt}));
  REQUIRE(out.frames.size() == 1);
  auto const frame = json::parse(out.frames[0]);
  CHECK(frame["reload"] == true);
  CHECK(frame["messages"].empty());
  CHECK(out.covered_upto == 6);
}

TEST_CASE("a store failure in the middle of a sync ends it with an error frame", "[messaging][sync]")
{
  messaging_world w;
  for (int i = 1; i <= 5; ++i) w.send(ann, "c-" + std::to_string(i));
  // Calls: markers, page 1, page 2 (fails).
  w.store.faults.fail_next(fault::none, 2);
  w.store.faults.fail_next(fault::unavailable);
  auto const out = run_coroutine(w.ctx, w.chat.sync(bo, {chat_id, 0, std::nullopt}));
  REQUIRE(out.frames.size() == 2);
  CHECK(json::parse(out.frames[0])["more"] == true);
  CHECK(json::parse(out.frames[1])["code"] == "store_unavailable");
  CHECK_FALSE(out.covered_upto);  // the gate must not treat the gap as filled
}

TEST_CASE("sync and history are forbidden to non-members", "[messaging][sync]")
{
  messaging_world w;
  w.send(ann, "c-1");
  auto const sync = run_coroutine(w.ctx, w.chat.sync(99, {chat_id, 0, std::nullopt}));
  REQUIRE(sync.frames.size() == 1);
  CHECK(json::parse(sync.frames[0])["code"] == "forbidden");
  auto const history = run_coroutine(w.ctx, w.chat.history(99, {chat_id, std::nullopt, 20, std::nullopt}));
  CHECK(json::parse(history)["code"] == "forbidden");
}

TEST_CASE("history returns the newest page, oldest first, and says whether older ones exist", "[messaging][history]")
{
  messaging_world w;
  for (int i = 1; i <= 5; ++i) w.send(ann, "c-" + std::to_string(i));
  auto const page = json::parse(run_coroutine(w.ctx, w.chat.history(bo, {chat_id, std::nullopt, 3, std::nullopt})));
  CHECK(page["type"] == "history");
  std::vector<core::seq_t> seqs;
  for (auto const& m : page["messages"]) seqs.push_back(m["seq"].get<core::seq_t>());
  CHECK(seqs == std::vector<core::seq_t>{3, 4, 5});
  CHECK(page["has_more"] == true);
  auto const older = json::parse(run_coroutine(w.ctx, w.chat.history(bo, {chat_id, 3, 3, std::nullopt})));
  CHECK(older["has_more"] == false);
  CHECK(older["messages"].size() == 2);
}

TEST_CASE("with history_from_join, sync and history start where a late member joined", "[messaging][history]")
{
  messaging_world w;
  w.settings.history_from_join = true;
  constexpr std::int64_t late = 3;
  for (int i = 1; i <= 3; ++i) w.send(ann, "c-" + std::to_string(i));
  w.store.join(chat_id, late);
  for (int i = 4; i <= 4; ++i) w.send(ann, "c-" + std::to_string(i));
  auto const sync = run_coroutine(w.ctx, w.chat.sync(late, {chat_id, 0, std::nullopt}));
  std::vector<core::seq_t> seqs;
  for (auto const& text : sync.frames) {
    auto const frame = json::parse(text);  // named: a range-for over a temporary's member dangles
    for (auto const& m : frame["messages"]) seqs.push_back(m["seq"].get<core::seq_t>());
  }
  CHECK(seqs == std::vector<core::seq_t>{4});
  auto const history = json::parse(run_coroutine(w.ctx, w.chat.history(late, {chat_id, std::nullopt, 20, std::nullopt})));
  REQUIRE(history["messages"].size() == 1);
  CHECK(history["messages"][0]["seq"] == 4);
  CHECK(history["has_more"] == false);
  // Off, the late member sees the whole chat.
  w.settings.history_from_join = false;
  auto const all = json::parse(run_coroutine(w.ctx, w.chat.history(late, {chat_id, std::nullopt, 20, std::nullopt})));
  CHECK(all["messages"].size() == 4);
}
