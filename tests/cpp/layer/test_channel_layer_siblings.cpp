// One process has one layer per I/O thread. A message one thread's layer has for another
// thread's channels goes from thread to thread (process_queues), not through that layer's Redis
// queue and back; other processes' queues are written as before. Against a real redis-server,
// with the sibling layer on its own thread: what must hold is who receives what, on which
// thread, and what Redis holds afterwards.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "layer/channel_layer.hpp"
#include "layer/names.hpp"
#include "layer/redis_server.hpp"
#include "run_until.hpp"
#include "service/run_coroutine.hpp"

using namespace tandem;
using namespace tandem::layer;
using tandem::testing::redis_server;
using tandem::testing::run_coroutine;
using tandem::testing::run_until;

namespace {

std::string const remote_member = "specific.elsewhere!member1";

/// What a layer's handler was given, and on which thread (handlers of the sibling run there).
struct inbox {
  std::mutex mutex;
  std::vector<std::string> channels;
  std::vector<std::thread::id> threads;

  void add(std::string const& channel)
  {
    std::lock_guard lock{mutex};
    channels.push_back(channel);
    threads.push_back(std::this_thread::get_id());
  }
  std::size_t size()
  {
    std::lock_guard lock{mutex};
    return channels.size();
  }
};

/// Two layers of one process: `here` driven by the test's thread, `there` by its own thread
/// (started by run_there(), so a test can first let posts pile up while it is stalled).
struct one_process {
  redis_server redis;
  asio::io_context here_ctx, there_ctx;
  std::shared_ptr<channel_layer> here, there;
  inbox here_got, there_got;
  std::atomic<std::uint64_t> there_ready{0};
  std::thread there_thread;
  bool there_running = false;

  explicit one_process(layer_config config = {}, channel_layer::clock now = {})
  {
    config.hosts = {redis.url()};
    here = channel_layer::create(here_ctx.get_executor(), config, now);
    there = channel_layer::create(there_ctx.get_executor(), config, now);
    auto queues = std::make_shared<process_queues>();
    queues->add(here->queue_key(), here, here_ctx.get_executor());
    queues->add(there->queue_key(), there, there_ctx.get_executor());
    here->share_process(queues);
    there->share_process(queues);
    here->start([this](std::string const& channel, message const&) { here_got.add(channel); });
    there->start([this](std::string const& channel, message const&) { there_got.add(channel); });
    there->mirror_readiness(&there_ready);
    REQUIRE(run_until(here_ctx, [&] { return here->ready(); }));
  }
  ~one_process()
  {
    here->stop();
    run_until(here_ctx, [] { return false; }, std::chrono::milliseconds{50});
    stop_there();
  }

  void run_there()
  {
    there_running = true;
    there_thread = std::thread{[this] {
      auto guard = asio::make_work_guard(there_ctx);
      there_ctx.run();
    }};
    REQUIRE(run_until(here_ctx, [&] { return there_ready.load() == 1; }));
  }
  void stop_there()
  {
    if (!there_running) return;
    there_running = false;
    asio::post(there_ctx, [this] { there->stop(); });
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
    there_ctx.stop();
    there_thread.join();
  }

  /// A channel of `there`, made on its thread (its set of local channels is that thread's).
  std::string there_channel()
  {
    std::string name;
    std::atomic<bool> made{false};
    asio::post(there_ctx, [&] {
      name = there->new_channel();
      made = true;
    });
    REQUIRE(run_until(here_ctx, [&] { return made.load(); }));
    return name;
  }

  /// A channel of `there` while its thread does not run yet: made by running its loop once here.
  std::string stalled_there_channel()
  {
    std::string name;
    asio::post(there_ctx, [&] { name = there->new_channel(); });
    there_ctx.poll();
    there_ctx.restart();
    REQUIRE(!name.empty());
    return name;
  }
  /// After a message for `there` was handed over: it came once, by the hand-over, not from Redis.
  void check_there_got_one_hand_over()
  {
    stop_there();
    CHECK(there->stats().sibling_received == 1);
    CHECK(there->stats().received == 0);  // nothing came through its Redis queue
  }

  void join(std::string const& group, std::string const& channel)
  {
    REQUIRE(run_coroutine(here_ctx, here->group_add(group, channel)) == send_status::ok);
  }
  std::int64_t queued(std::string const& queue_key)
  {
    std::vector<std::vector<std::string>> commands{{"ZCARD", queue_key}};
    auto const batch = run_coroutine(here_ctx, here->run_commands(queue_key, std::move(commands)));
    REQUIRE(!batch.ec);
    return batch.replies.at(0).integer;
  }
};

message
hello()
{
  return message{{"type", "chat.hello"}};
}

}  // namespace

TEST_CASE("a group message reaches the other thread's members without their Redis queue", "[layer][siblings]")
{
  one_process p;
  p.run_there();
  auto const mine = p.here->new_channel();
  auto const theirs = p.there_channel();
  p.join("room", mine);
  p.join("room", theirs);
  p.join("room", remote_member);

  auto const result = run_coroutine(p.here_ctx, p.here->group_send("room", hello()));
  CHECK(result.status == send_status::ok);
  CHECK(result.members == 3);
  REQUIRE(run_until(p.here_ctx, [&] { return p.there_got.size() == 1; }));

  CHECK(p.here_got.channels == std::vector<std::string>{mine});
  CHECK(p.there_got.channels == std::vector<std::string>{theirs});
  CHECK(p.there_got.threads.at(0) == p.there_thread.get_id());
  // The other process's queue is written; the sibling's stays empty: nothing to pop back.
  CHECK(p.queued(channel_key("asgi", remote_member)) == 1);
  CHECK(p.queued(p.there->queue_key()) == 0);
  CHECK(p.here->stats().sibling_posts == 1);
  p.check_there_got_one_hand_over();
}

TEST_CASE("a send to one of the other thread's channels is posted to that thread", "[layer][siblings]")
{
  one_process p;
  p.run_there();
  auto const theirs = p.there_channel();
  CHECK(run_coroutine(p.here_ctx, p.here->send(theirs, hello())) == send_status::ok);
  REQUIRE(run_until(p.here_ctx, [&] { return p.there_got.size() == 1; }));
  CHECK(p.there_got.channels == std::vector<std::string>{theirs});
  CHECK(p.there_got.threads.at(0) == p.there_thread.get_id());
  CHECK(p.here->stats().sibling_posts == 1);
  CHECK(p.here->stats().sent == 0);
  p.check_there_got_one_hand_over();
}

TEST_CASE("messages for a stalled thread are bounded like the Redis queue they replace", "[layer][siblings]")
{
  layer_config config;
  config.capacity = 2;
  config.pending_per_queue = 3;
  one_process p{config};
  // The sibling's thread is not running yet: what is posted to it waits, up to 2 + 3.
  auto const theirs = p.stalled_there_channel();
  p.join("room", theirs);
  for (int i = 0; i < 7; ++i) {
    auto const result = run_coroutine(p.here_ctx, p.here->group_send("room", hello()));
    CHECK(result.status == send_status::ok);
  }
  CHECK(p.here->stats().sibling_posts == 5);
  CHECK(p.here->stats().pending_dropped == 2);
  // A send() past the bound is refused as a full Redis queue would refuse it.
  CHECK(run_coroutine(p.here_ctx, p.here->send(theirs, hello())) == send_status::channel_full);
  CHECK(p.here->stats().send_full == 1);
  p.run_there();
  REQUIRE(run_until(p.here_ctx, [&] { return p.there_got.size() == 5; }));
  // Once it caught up, there is room again.
  CHECK(run_coroutine(p.here_ctx, p.here->group_send("room", hello())).status == send_status::ok);
  REQUIRE(run_until(p.here_ctx, [&] { return p.there_got.size() == 6; }));
  CHECK(p.here->stats().pending_dropped == 2);
}

TEST_CASE("a post reaching a layer that stopped meanwhile is dropped", "[layer][siblings]")
{
  one_process p;
  auto const theirs = p.stalled_there_channel();
  p.join("room", theirs);
  CHECK(run_coroutine(p.here_ctx, p.here->group_send("room", hello())).status == send_status::ok);
  // The sibling layer stops before its thread ran the post (a drain ending).
  p.there->stop();
  p.there_ctx.poll();
  CHECK(p.there_got.size() == 0);
}

TEST_CASE("a post that waited longer than expiry for a stalled thread is dropped as an expired message",
          "[layer][siblings]")
{
  double now = 1'000'000.0;
  layer_config config;
  config.expiry_s = 60;
  one_process p{config, [&now] { return now; }};
  auto const theirs = p.stalled_there_channel();
  p.join("room", theirs);
  CHECK(run_coroutine(p.here_ctx, p.here->group_send("room", hello())).status == send_status::ok);
  now += 61;  // the thread was stalled for longer than a queued message may wait
  p.there_ctx.poll();
  CHECK(p.there_got.size() == 0);
  CHECK(p.there->stats().dropped_expired == 1);
}
