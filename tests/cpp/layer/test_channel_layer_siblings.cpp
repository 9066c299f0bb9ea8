// One process has one layer per I/O thread. They share the process's Redis queue, which the
// first layer reads for all: a message from another process is one Redis delivery however many
// threads have its members. A message one thread's layer has for another thread's channels goes
// from thread to thread (process_queues), never through Redis and back; other processes' queues
// are written as before. Against a real redis-server, with the sibling layer on its own thread:
// what must hold is who receives what, on which thread, in which order, and what Redis holds.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
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
  std::vector<std::int64_t> numbers;  // each message's "n", -1 when it has none
  bool first_throws = false;          // the first delivery throws, as a socket's full queue can

  void add(std::string const& channel, message const& msg)
  {
    std::lock_guard lock{mutex};
    if (std::exchange(first_throws, false)) throw std::runtime_error{"a socket's queue threw"};
    channels.push_back(channel);
    threads.push_back(std::this_thread::get_id());
    numbers.push_back(msg.value("n", std::int64_t{-1}));
  }
  std::size_t size()
  {
    std::lock_guard lock{mutex};
    return channels.size();
  }
  /// The layer's on_missed: recorded in line with the messages, as "n" -2.
  void missed(std::string const& channel)
  {
    std::lock_guard lock{mutex};
    channels.push_back(channel);
    threads.push_back(std::this_thread::get_id());
    numbers.push_back(told_to_sync);
  }
  static constexpr std::int64_t told_to_sync = -2;
};

/// Two layers of one process: `here` driven by the test's thread, `there` by its own thread
/// (started by run_there(), so a test can first let posts pile up while it is stalled).
struct one_process {
  redis_server redis;
  asio::io_context here_ctx, there_ctx;
  std::shared_ptr<channel_layer> here, there;
  inbox here_got, there_got;
  std::atomic<std::uint64_t> there_ready{0};
  std::atomic<int> there_resyncs{0};
  std::thread there_thread;
  bool there_running = false;

  explicit one_process(layer_config config = {}, channel_layer::clock now = {})
  {
    config.hosts = {redis.url()};
    here = channel_layer::create(here_ctx.get_executor(), config, now);
    there = channel_layer::create(there_ctx.get_executor(), config, now);
    auto queues = std::make_shared<process_queues>(here->client_prefix());
    queues->add(here, here_ctx.get_executor());
    queues->add(there, there_ctx.get_executor());
    here->share_process(queues, 0);
    there->share_process(queues, 1);
    there->on_reconnect([this] { ++there_resyncs; });
    there->on_missed([this](std::string const& channel) { there_got.missed(channel); });
    here->start([this](std::string const& channel, message const& msg) { here_got.add(channel, msg); });
    there->start([this](std::string const& channel, message const& msg) { there_got.add(channel, msg); });
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
  /// A layer of another process (or Django's), driven by the test's thread.
  std::shared_ptr<channel_layer> elsewhere()
  {
    layer_config config;
    config.hosts = {redis.url()};
    auto layer = channel_layer::create(here_ctx.get_executor(), config);
    layer->start([](std::string const&, message const&) {});
    REQUIRE(run_until(here_ctx, [&] { return layer->ready(); }));
    return layer;
  }
  /// Redis's answer to one command, on `here`'s connection.
  resp_value ask(std::vector<std::string> command)
  {
    std::vector<std::vector<std::string>> commands{std::move(command)};
    auto const batch = run_coroutine(here_ctx, here->run_commands("any", std::move(commands)));
    REQUIRE(!batch.ec);
    return batch.replies.at(0);
  }
  std::int64_t queued(std::string const& queue_key)
  {
    std::vector<std::vector<std::string>> commands{{"ZCARD", queue_key}};
    auto const batch = run_coroutine(here_ctx, here->run_commands(queue_key, std::move(commands)));
    REQUIRE(!batch.ec);
    return batch.replies.at(0).integer;
  }
};

/// Room for one post waiting for a thread that is behind: the next one is refused.
layer_config
one_post_behind()
{
  layer_config config;
  config.capacity = 1;
  config.pending_per_queue = 0;
  return config;
}

message
hello(std::int64_t n = 0)
{
  return message{{"type", "chat.hello"}, {"n", n}};
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

TEST_CASE("a socket whose delivery throws on the other thread loses only its own copy", "[layer][siblings]")
{
  one_process p;
  p.run_there();
  auto const first = p.there_channel();
  auto const second = p.there_channel();
  p.join("room", first);
  p.join("room", second);
  {
    std::lock_guard lock{p.there_got.mutex};
    p.there_got.first_throws = true;
  }

  CHECK(run_coroutine(p.here_ctx, p.here->group_send("room", hello())).status == send_status::ok);
  // One of the two sockets threw; the other still has the message, and the one that threw is
  // told it missed one, after the message's other deliveries.
  REQUIRE(run_until(p.here_ctx, [&] { return p.there_got.size() == 2; }));
  {
    std::lock_guard lock{p.there_got.mutex};
    CHECK(p.there_got.numbers == std::vector<std::int64_t>{0, inbox::told_to_sync});
  }
  p.stop_there();
  CHECK(p.there->stats().missed_told == 1);
  CHECK(p.there->stats().delivery_failures == 1);
  CHECK(p.there->stats().local_deliveries == 1);  // the one that threw is not counted delivered
  CHECK(p.there->stats().sibling_failures == 0);
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
    auto const result = run_coroutine(p.here_ctx, p.here->group_send("room", hello(i)));
    CHECK(result.status == send_status::ok);
  }
  CHECK(p.here->stats().sibling_posts == 5);
  CHECK(p.here->stats().pending_dropped == 2);
  // A send() past the bound is refused as a full Redis queue would refuse it.
  CHECK(run_coroutine(p.here_ctx, p.here->send(theirs, hello())) == send_status::channel_full);
  CHECK(p.here->stats().send_full == 1);
  p.run_there();
  // The five it had room for, then one word that it missed some (not one per message lost):
  // nothing else would ever bring messages 5 and 6 to that socket.
  REQUIRE(run_until(p.here_ctx, [&] { return p.there_got.size() == 6; }));
  {
    std::lock_guard lock{p.there_got.mutex};
    CHECK(p.there_got.numbers == std::vector<std::int64_t>{0, 1, 2, 3, 4, inbox::told_to_sync});
    CHECK(p.there_got.channels.back() == theirs);
    CHECK(p.there_got.threads.back() == p.there_thread.get_id());
  }
  // Once it caught up, there is room again.
  CHECK(run_coroutine(p.here_ctx, p.here->group_send("room", hello(7))).status == send_status::ok);
  REQUIRE(run_until(p.here_ctx, [&] { return p.there_got.size() == 7; }));
  CHECK(p.here->stats().pending_dropped == 2);
  p.stop_there();
  CHECK(p.there->stats().missed_told == 1);
}

TEST_CASE("a stalled thread's socket that closed before it ran is not told, its neighbour is", "[layer][siblings]")
{
  one_process p{one_post_behind()};
  auto const closed = p.stalled_there_channel();
  auto const open = p.stalled_there_channel();
  p.join("room", closed);
  p.join("room", open);
  CHECK(run_coroutine(p.here_ctx, p.here->group_send("room", hello(0))).status == send_status::ok);
  CHECK(run_coroutine(p.here_ctx, p.here->group_send("room", hello(1))).status == send_status::ok);
  CHECK(p.here->stats().pending_dropped == 1);
  p.there->release_channel(closed);  // on its own thread's loop, which is not running yet
  p.run_there();
  REQUIRE(run_until(p.here_ctx, [&] { return p.there_got.size() == 2; }));
  p.stop_there();
  std::lock_guard lock{p.there_got.mutex};
  CHECK(p.there_got.channels == std::vector<std::string>{open, open});
  CHECK(p.there_got.numbers == std::vector<std::int64_t>{0, inbox::told_to_sync});
  CHECK(p.there->stats().missed_told == 1);
}

TEST_CASE("a thread that falls behind again is told again", "[layer][siblings]")
{
  one_process p{one_post_behind()};
  p.run_there();
  auto const theirs = p.there_channel();
  p.join("room", theirs);
  for (int episode = 1; episode <= 2; ++episode) {
    std::atomic<bool> release{false};
    asio::post(p.there_ctx, [&release] {  // that thread is busy: posts for it wait
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds{1});
    });
    CHECK(run_coroutine(p.here_ctx, p.here->group_send("room", hello())).status == send_status::ok);
    CHECK(run_coroutine(p.here_ctx, p.here->group_send("room", hello())).status == send_status::ok);
    release = true;
    REQUIRE(run_until(p.here_ctx, [&] { return p.there_got.size() == static_cast<std::size_t>(2 * episode); }));
  }
  p.stop_there();
  CHECK(p.there->stats().missed_told == 2);
  std::lock_guard lock{p.there_got.mutex};
  CHECK(p.there_got.numbers == std::vector<std::int64_t>{0, inbox::told_to_sync, 0, inbox::told_to_sync});
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
  CHECK(run_coroutine(p.here_ctx, p.here->group_send("room", hello())).status == send_status::ok);
  now += 61;  // the thread was stalled for longer than a queued message may wait
  p.there_ctx.poll();
  p.there_ctx.restart();
  p.there_ctx.poll();  // the hint's own post
  CHECK(p.there->stats().dropped_expired == 2);
  // Not delivered, but its socket is told it missed them: once.
  std::lock_guard lock{p.there_got.mutex};
  CHECK(p.there_got.numbers == std::vector<std::int64_t>{inbox::told_to_sync});
  CHECK(p.there_got.channels == std::vector<std::string>{theirs});
}

TEST_CASE("the threads of a process share one queue, so a group message from elsewhere is one Redis delivery",
          "[layer][siblings]")
{
  one_process p;
  p.run_there();
  auto const mine = p.here->new_channel();
  auto const theirs = p.there_channel();
  CHECK(channel_key("asgi", mine) == channel_key("asgi", theirs));
  CHECK(p.here->queue_key() == p.there->queue_key());
  p.join("room", mine);
  p.join("room", theirs);
  auto const django = p.elsewhere();

  auto const result = run_coroutine(p.here_ctx, django->group_send("room", hello()));
  CHECK(result.status == send_status::ok);
  REQUIRE(run_until(p.here_ctx, [&] { return p.there_got.size() == 1 && p.here_got.size() == 1; }));
  CHECK(p.here_got.channels == std::vector<std::string>{mine});
  CHECK(p.there_got.channels == std::vector<std::string>{theirs});
  CHECK(p.there_got.threads.at(0) == p.there_thread.get_id());
  // One message went through Redis, popped by the first layer, which handed the other thread its part.
  CHECK(p.here->stats().received == 1);
  CHECK(p.here->stats().sibling_posts == 1);
  django->stop();
  p.check_there_got_one_hand_over();
}

TEST_CASE("messages from elsewhere for another thread's channel keep their order", "[layer][siblings]")
{
  one_process p;
  p.run_there();
  auto const theirs = p.there_channel();
  auto const django = p.elsewhere();
  constexpr int count = 200;
  for (int i = 0; i < count; ++i) REQUIRE(run_coroutine(p.here_ctx, django->send(theirs, hello(i))) == send_status::ok);
  REQUIRE(run_until(p.here_ctx, [&] { return p.there_got.size() == count; }));
  std::vector<std::int64_t> expected;
  for (int i = 0; i < count; ++i) expected.push_back(i);
  p.stop_there();
  CHECK(p.there_got.numbers == expected);
  CHECK(p.there->stats().received == 0);
  django->stop();
}

TEST_CASE("a channel of this process that names no thread is dropped and counted", "[layer][siblings]")
{
  one_process p;
  auto const django = p.elsewhere();
  auto const nobody = new_channel_name(p.here->client_prefix(), "nothread");
  auto const bad_index = new_channel_name(p.here->client_prefix(), "7.0123");
  for (auto const& channel : {nobody, bad_index})
    REQUIRE(run_coroutine(p.here_ctx, django->send(channel, hello())) == send_status::ok);
  REQUIRE(run_until(p.here_ctx, [&] { return p.here->stats().dropped_unknown_channel == 2; }));
  CHECK(p.here_got.size() == 0);
  CHECK(p.here->stats().sibling_posts == 0);
  django->stop();
}

TEST_CASE("only the first layer reads the queue: the others are ready only while it is", "[layer][siblings]")
{
  one_process p;
  // The other thread is not running: its loop is driven here, one after the other.
  REQUIRE(run_until(p.there_ctx, [&] { return p.there->ready(); }));
  CHECK(p.there->can_receive());
  auto const receiving = [&] {
    auto const clients = p.ask({"CLIENT", "LIST"}).str;
    std::size_t count = 0;
    for (std::size_t at = 0; (at = clients.find("cmd=bz", at)) != std::string::npos; ++at) ++count;
    return count;
  };
  CHECK(receiving() == 1);  // one blocking pop for the process, not one per thread
  p.here->stop();
  CHECK_FALSE(p.there->ready());
  CHECK_FALSE(p.there->can_receive());
  CHECK(p.there_ready.load() == 1);  // its own connections are fine: its mirror says so
  p.there->stop();
  p.there_ctx.poll();
}

TEST_CASE("when the reader's connection comes back, every thread resyncs", "[layer][siblings]")
{
  one_process p;
  p.run_there();
  // Kill the one blocking pop's connection: messages queued meanwhile may have been missed by
  // any thread's sockets, not only the reader's.
  auto const clients = p.ask({"CLIENT", "LIST"}).str;
  auto const pop = clients.find("cmd=bz");
  REQUIRE(pop != std::string::npos);
  auto const line_start = clients.rfind('\n', pop) == std::string::npos ? 0 : clients.rfind('\n', pop) + 1;
  auto const id_at = clients.find("id=", line_start) + 3;
  auto const id = clients.substr(id_at, clients.find(' ', id_at) - id_at);
  CHECK(p.ask({"CLIENT", "KILL", "ID", id}).integer == 1);
  REQUIRE(run_until(p.here_ctx, [&] { return p.there_resyncs.load() == 1; }, std::chrono::seconds{20}));
}
