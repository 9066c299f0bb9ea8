// group_send meets a full process queue (capacity reached because its reader is behind): the
// message must wait in the layer and arrive, in order, once the reader catches up, never be
// dropped (issue 14). Against a real redis-server: the capacity check lives in a Lua script.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/digest.hpp"
#include "layer/channel_layer.hpp"
#include "layer/names.hpp"
#include "layer/redis_server.hpp"
#include "layer/serializer.hpp"
#include "run_until.hpp"

using namespace tandem;
using namespace tandem::layer;
using tandem::testing::redis_server;
using tandem::testing::run_until;

namespace {

// A channel of another process, whose queue nobody here reads: only the test pops it.
std::string const remote_member = "specific.elsewhere!member1";
std::string const group = "room";

struct fixture {
  redis_server redis;
  asio::io_context ctx;
  std::shared_ptr<channel_layer> layer;
  std::string queue = channel_key("asgi", remote_member);

  explicit fixture(layer_config config, channel_layer::clock now = {})
  {
    config.hosts = {redis.url()};
    layer = channel_layer::create(ctx.get_executor(), std::move(config), std::move(now));
    layer->start([](std::string const&, message const&) {});
    REQUIRE(run_until(ctx, [&] { return layer->ready(); }));
  }
  ~fixture()
  {
    layer->stop();
    run_until(ctx, [] { return false; }, std::chrono::milliseconds{50});
  }

  template <typename T>
  T await(awaitable<T> operation)
  {
    std::optional<T> result;
    asio::co_spawn(ctx, std::move(operation), [&](std::exception_ptr e, T value) {
      if (e) std::rethrow_exception(e);
      result = std::move(value);
    });
    REQUIRE(run_until(ctx, [&] { return result.has_value(); }));
    return std::move(*result);
  }

  void group_send_numbered(int count)
  {
    for (int i = 0; i < count; ++i) {
      message msg{{"type", "chat.message"}, {"n", i}};
      auto const result = await(layer->group_send(group, std::move(msg)));
      REQUIRE(result.status == send_status::ok);
    }
  }

  /// The reader: one ZPOPMIN, decoded; nothing when the queue is empty.
  std::optional<message> pop_one()
  {
    std::vector<std::vector<std::string>> commands{{"ZPOPMIN", queue, "1"}};
    auto const batch = await(layer->run_commands(group, std::move(commands)));
    REQUIRE(!batch.ec);
    auto const& popped = batch.replies.at(0).elements;
    if (popped.empty()) return std::nullopt;
    serializer const codec{serializer_config{}, crypto::fill_random};
    auto decoded = codec.deserialize(popped.at(0).str, 0);
    REQUIRE(decoded.value);
    return decoded.value;
  }

  /// Pops slowly (one message, then a pause of layer time) until `count` came or nothing new
  /// came for `quiet`; returns the "n" of each in arrival order.
  std::vector<int> drain_slowly(std::size_t count, std::chrono::milliseconds quiet = std::chrono::seconds{5})
  {
    std::vector<int> seen;
    auto last_progress = std::chrono::steady_clock::now();
    while (seen.size() < count && std::chrono::steady_clock::now() - last_progress < quiet) {
      if (auto msg = pop_one()) {
        seen.push_back(msg->at("n").get<int>());
        last_progress = std::chrono::steady_clock::now();
      }
      run_until(ctx, [] { return false; }, std::chrono::milliseconds{10});
    }
    return seen;
  }

  std::size_t queued()
  {
    std::vector<std::vector<std::string>> commands{{"ZCARD", queue}};
    auto const batch = await(layer->run_commands(group, std::move(commands)));
    return static_cast<std::size_t>(batch.replies.at(0).integer);
  }
};

layer_config
with_capacity(std::size_t capacity)
{
  layer_config config;
  config.capacity = capacity;
  return config;
}

}  // namespace

TEST_CASE("group_send to a full process queue delivers every message, in order, once it drains",
          "[layer][backpressure]")
{
  fixture f{with_capacity(2)};
  REQUIRE(f.await(f.layer->group_add(group, remote_member)) == send_status::ok);
  f.group_send_numbered(10);
  CHECK(f.queued() == 2);  // the capacity holds in Redis: the rest waits in the layer

  auto const seen = f.drain_slowly(10);
  CHECK(seen == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(f.layer->stats().group_over_capacity >= 1);
}

// -- limits of what is held back (these use the layer's counters for it) --

TEST_CASE("group_send holds back at most layer_pending_per_queue messages per queue, and counts the rest",
          "[layer][backpressure]")
{
  auto config = with_capacity(1);
  config.pending_per_queue = 3;
  fixture f{config};
  REQUIRE(f.await(f.layer->group_add(group, remote_member)) == send_status::ok);
  f.group_send_numbered(10);
  CHECK(f.layer->pending_messages() == 3);
  CHECK(f.layer->stats().pending_dropped == 6);

  // The kept ones still arrive, in order, after the one that fitted.
  CHECK(f.drain_slowly(4) == std::vector<int>{0, 1, 2, 3});
  CHECK(f.drain_slowly(1, std::chrono::milliseconds{500}).empty());
  CHECK(f.layer->pending_messages() == 0);
}

TEST_CASE("held-back messages older than the layer's expiry are dropped, not written", "[layer][backpressure]")
{
  // The layer's wall clock, moved by the test; Redis trims by the same scores.
  auto fake_now = std::make_shared<double>(1'700'000'000.0);
  auto config = with_capacity(1);
  config.expiry_s = 60;
  fixture f{config, [fake_now] { return *fake_now; }};
  REQUIRE(f.await(f.layer->group_add(group, remote_member)) == send_status::ok);
  f.group_send_numbered(3);
  CHECK(f.layer->pending_messages() == 2);

  *fake_now += 61;
  REQUIRE(run_until(f.ctx, [&] { return f.layer->pending_messages() == 0; }));
  CHECK(f.layer->stats().pending_dropped == 2);
  auto const seen = f.drain_slowly(3, std::chrono::milliseconds{500});
  CHECK(std::find(seen.begin(), seen.end(), 1) == seen.end());
  CHECK(std::find(seen.begin(), seen.end(), 2) == seen.end());
}

TEST_CASE("stopping the layer abandons held-back messages instead of waiting for room", "[layer][backpressure]")
{
  fixture f{with_capacity(1)};
  REQUIRE(f.await(f.layer->group_add(group, remote_member)) == send_status::ok);
  f.group_send_numbered(5);
  REQUIRE(f.layer->pending_messages() == 4);
  f.layer->stop();
  CHECK(f.layer->pending_messages() == 0);
  // Nothing left to run: no retry timer keeps the io_context (the process) alive.
  CHECK(run_until(f.ctx, [&] { return f.ctx.stopped(); }, std::chrono::seconds{10}));
}

TEST_CASE("settle at a drain waits for held-back group messages, not only for commands in flight",
          "[layer][backpressure]")
{
  // group_send reported these sent; a drain that stopped the layer with them still held would
  // lose messages acknowledged to their senders.
  fixture f{with_capacity(2)};
  REQUIRE(f.await(f.layer->group_add(group, remote_member)) == send_status::ok);
  f.group_send_numbered(5);
  REQUIRE(f.layer->pending_messages() == 3);
  // A reader elsewhere catches up slowly while the drain settles.
  bool stop_reading = false;
  // (A named closure: the coroutine refers to its captures, so it must outlive the coroutine.)
  auto reader = [&]() -> awaitable<void> {
    asio::steady_timer pause{f.ctx};
    while (!stop_reading) {
      pause.expires_after(std::chrono::milliseconds{100});
      error_code ec;
      co_await pause.async_wait(as_value(ec));
      std::vector<std::vector<std::string>> pop{{"ZPOPMIN", f.queue, "1"}};
      co_await f.layer->run_commands(group, std::move(pop));
    }
  };
  asio::co_spawn(f.ctx, reader(), asio::detached);
  bool settled = false;
  asio::co_spawn(f.ctx, f.layer->settle(std::chrono::seconds{20}), [&](std::exception_ptr) { settled = true; });
  REQUIRE(run_until(f.ctx, [&] { return settled; }, std::chrono::seconds{30}));
  stop_reading = true;
  CHECK(f.layer->pending_messages() == 0);
  run_until(f.ctx, [] { return false; }, std::chrono::milliseconds{200});
}

// -- order and proportion of the retries (review of issue 14) --

TEST_CASE("group_sends pipelined to one queue keep their order when the first meets it full",
          "[layer][backpressure]")
{
  // A and B are in flight together. Redis runs A's script on a full queue (A is held back), then
  // a reader's pop makes room, then B's script: B must not be written ahead of A.
  fixture f{with_capacity(1)};
  REQUIRE(f.await(f.layer->group_add(group, remote_member)) == send_status::ok);
  f.group_send_numbered(1);  // fills the queue
  REQUIRE(f.queued() == 1);

  std::optional<group_send_result> a, b;
  bool popped = false;
  auto send = [&](int n, std::optional<group_send_result>& out) {
    message msg{{"type", "chat.message"}, {"n", n}};
    asio::co_spawn(f.ctx, f.layer->group_send(group, std::move(msg)), [&out](std::exception_ptr e, group_send_result r) {
      if (e) std::rethrow_exception(e);
      out = r;
    });
  };
  // All three go out on the shard's one command connection, so Redis runs them in this order:
  // A's member lookup, the reader's PING, B's member lookup; then, as each reply resumes its
  // coroutine in turn, A's script, the reader's ZPOPMIN, B's script.
  // (A named closure: the coroutine refers to its captures, so it must outlive the coroutine.)
  auto reader = [&]() -> awaitable<void> {
    std::vector<std::vector<std::string>> ping{{"PING"}};
    co_await f.layer->run_commands(group, std::move(ping));
    std::vector<std::vector<std::string>> pop{{"ZPOPMIN", f.queue, "1"}};
    co_await f.layer->run_commands(group, std::move(pop));
    popped = true;
  };
  send(1, a);
  asio::co_spawn(f.ctx, reader(), asio::detached);
  send(2, b);
  REQUIRE(run_until(f.ctx, [&] { return a && b && popped; }));

  CHECK(f.drain_slowly(2) == std::vector<int>{1, 2});
  CHECK(f.layer->pending_messages() == 0);
}

namespace {

std::int64_t
redis_input_bytes(fixture& f)
{
  std::vector<std::vector<std::string>> info{{"INFO", "stats"}};
  auto const batch = f.await(f.layer->run_commands(group, std::move(info)));
  auto const& text = batch.replies.at(0).str;
  auto const at = text.find("total_net_input_bytes:");
  REQUIRE(at != std::string::npos);
  return std::stoll(text.substr(at + std::string_view{"total_net_input_bytes:"}.size()));
}

}  // namespace

TEST_CASE("retries of held-back messages send about what the queues take, each queue on its own back-off",
          "[layer][backpressure]")
{
  // Two process queues of one group: one whose reader is gone (it stays full) and one read
  // slowly. Retrying must not resend a whole batch of ~1 KB payloads every few milliseconds to
  // a queue with room for one, nor retry the dead queue at the live one's pace.
  std::string const dead_member = "specific.gone!member1";
  auto config = with_capacity(1);
  fixture f{config};
  REQUIRE(f.await(f.layer->group_add(group, remote_member)) == send_status::ok);
  REQUIRE(f.await(f.layer->group_add(group, dead_member)) == send_status::ok);
  std::string const padding(1000, 'x');
  int const sent = 300;
  for (int i = 0; i < sent; ++i) {
    message msg{{"type", "chat.message"}, {"n", i}, {"padding", padding}};
    REQUIRE(f.await(f.layer->group_send(group, std::move(msg))).status == send_status::ok);
  }
  auto const before = redis_input_bytes(f);
  auto const seen = f.drain_slowly(60);
  auto const received = redis_input_bytes(f) - before;
  REQUIRE(seen.size() == 60);
  for (std::size_t i = 0; i < seen.size(); ++i) CHECK(seen[i] == static_cast<int>(i));
  // What the read queue took is 59 payloads of ~1.1 KB, plus the reader's own pops and small
  // probes of both queues: well under 250 KB (resending whole batches costs megabytes).
  INFO("bytes Redis received while 60 messages were read: " << received);
  CHECK(received < 250'000);
}
