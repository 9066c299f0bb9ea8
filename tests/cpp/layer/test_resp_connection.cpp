// resp_connection against the in-process fake Redis: pipelining under partial writes, replies
// reaching their callers, reconnect pacing, READONLY, and deadlines that outlive nothing.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "layer/fake_redis.hpp"
#include "layer/layer_error.hpp"
#include "layer/redis_endpoint.hpp"
#include "layer/resp_connection.hpp"

using namespace tandem;
using namespace tandem::layer;
using tandem::testing::fake_redis;
using tandem::testing::run_until;

namespace {

std::shared_ptr<resp_connection>
connect_to(asio::io_context& ctx, fake_redis const& redis, connection_options options = {})
{
  auto endpoint = parse_redis_endpoint(redis.url()).endpoint;
  REQUIRE(endpoint);
  auto connection = resp_connection::create(ctx.get_executor(), *endpoint, options);
  connection->start();
  REQUIRE(run_until(ctx, [&] { return connection->connected(); }));
  return connection;
}

/// A payload no other caller sends: a reply that went to the wrong caller cannot match.
std::string
payload_for(int caller, std::size_t size)
{
  std::string s = "caller-" + std::to_string(caller) + ":";
  while (s.size() < size) s += static_cast<char>('a' + (s.size() * 7 + static_cast<std::size_t>(caller)) % 26);
  return s;
}

}  // namespace

TEST_CASE("many callers started in one turn each get their own reply, even when writes are partial",
          "[resp_connection]")
{
  asio::io_context ctx;
  // A consumer with a tiny receive window that reads slowly: every large write is split.
  fake_redis redis{ctx.get_executor(), {.receive_buffer = 4096, .read_chunk = 8192}};
  auto connection = connect_to(ctx, redis);

  constexpr int callers = 24;
  constexpr std::size_t size = 200 * 1024;
  std::vector<std::string> replies(callers);
  std::vector<bool> failed(callers, false);
  int finished = 0;
  // All started from one handler: every run() queues before any writer has run.
  asio::post(ctx, [&] {
    for (int i = 0; i < callers; ++i) {
      asio::co_spawn(
          ctx,
          [&, i]() -> awaitable<void> {
            std::vector<std::vector<std::string>> commands{{"ECHO", payload_for(i, size)}};
            auto batch = co_await connection->run(std::move(commands), std::chrono::seconds{60});
            if (batch.ec || batch.replies.size() != 1) failed[i] = true;
            else replies[i] = batch.replies[0].str;
            ++finished;
          },
          asio::detached);
    }
  });
  REQUIRE(run_until(ctx, [&] { return finished == callers; }, std::chrono::seconds{120}));
  CHECK(redis.protocol_errors() == 0);
  CHECK(redis.connections_accepted() == 1);
  for (int i = 0; i < callers; ++i) {
    INFO("caller " << i);
    CHECK_FALSE(failed[i]);
    CHECK(replies[i] == payload_for(i, size));
  }
  connection->stop();
}

TEST_CASE("pipelined batches from interleaved callers keep their order and their owners", "[resp_connection]")
{
  asio::io_context ctx;
  fake_redis redis{ctx.get_executor(), {.receive_buffer = 4096, .read_chunk = 1024}};
  auto connection = connect_to(ctx, redis);
  constexpr int callers = 50;
  int finished = 0, wrong = 0;
  asio::post(ctx, [&] {
    for (int i = 0; i < callers; ++i) {
      asio::co_spawn(
          ctx,
          [&, i]() -> awaitable<void> {
            std::vector<std::vector<std::string>> commands;
            for (int j = 0; j < 5; ++j) commands.push_back({"ECHO", payload_for(i * 10 + j, 5000)});
            auto batch = co_await connection->run(std::move(commands), std::chrono::seconds{60});
            for (int j = 0; j < 5; ++j)
              if (batch.ec || batch.replies.size() != 5 || batch.replies[j].str != payload_for(i * 10 + j, 5000)) {
                ++wrong;
                break;
              }
            ++finished;
          },
          asio::detached);
    }
  });
  REQUIRE(run_until(ctx, [&] { return finished == callers; }, std::chrono::seconds{120}));
  CHECK(wrong == 0);
  CHECK(redis.protocol_errors() == 0);
  connection->stop();
}

TEST_CASE("a server that closes every connection at once is retried with backoff, not in a loop",
          "[resp_connection]")
{
  asio::io_context ctx;
  fake_redis redis{ctx.get_executor()};
  auto endpoint = parse_redis_endpoint(redis.url()).endpoint;
  REQUIRE(endpoint);
  connection_options options;
  options.reconnect = core::backoff_policy{50, 2.0, 400, 0.0, 1'000'000};
  auto connection = resp_connection::create(ctx.get_executor(), *endpoint, options);
  redis.options().close_on_accept = true;
  connection->start();
  auto const started = std::chrono::steady_clock::now();
  run_until(ctx, [&] { return std::chrono::steady_clock::now() - started > std::chrono::milliseconds{1500}; });
  // Without backoff this is thousands; with 50, 100, 200, 400, 400... ms it is a handful.
  CHECK(redis.connections_accepted() <= 12);
  CHECK(redis.connections_accepted() >= 2);
  connection->stop();
  run_until(ctx, [] { return false; }, std::chrono::milliseconds{50});
}

TEST_CASE("a connection that lives only briefly after its handshake counts as a failed attempt",
          "[resp_connection]")
{
  asio::io_context ctx;
  fake_redis redis{ctx.get_executor()};
  connection_options options;
  options.reconnect = core::backoff_policy{50, 2.0, 400, 0.0, 1'000'000};
  options.healthy_after = std::chrono::milliseconds{1000};
  auto connection = connect_to(ctx, redis, options);
  // Every connection is dropped as soon as it is up (a proxy whose backend keeps dying).
  auto const started = std::chrono::steady_clock::now();
  run_until(ctx, [&] {
    if (connection->connected()) redis.drop_connections();
    return std::chrono::steady_clock::now() - started > std::chrono::milliseconds{1500};
  });
  CHECK(connection->connections_made() <= 12);
  connection->stop();
  run_until(ctx, [] { return false; }, std::chrono::milliseconds{50});
}

TEST_CASE("a READONLY reply makes the connection reconnect (a failover moved the primary)", "[resp_connection]")
{
  asio::io_context ctx;
  fake_redis redis{ctx.get_executor(), {.readonly = true}};
  auto connection = connect_to(ctx, redis);
  REQUIRE(connection->connections_made() == 1);
  resp_batch batch;
  bool done = false;
  asio::co_spawn(
      ctx,
      [&]() -> awaitable<void> {
        std::vector<std::vector<std::string>> commands{{"SET", "k", "v"}};
        batch = co_await connection->run(std::move(commands));
        done = true;
      },
      asio::detached);
  REQUIRE(run_until(ctx, [&] { return done; }));
  REQUIRE(batch.replies.size() == 1);
  CHECK(batch.replies[0].is_error());  // the caller still sees what Redis said
  redis.options().readonly = false;
  REQUIRE(run_until(ctx, [&] { return connection->connections_made() == 2 && connection->connected(); }));
  connection->stop();
}

TEST_CASE("wait_connected wakes as soon as the connection is up, and reports a down server", "[resp_connection]")
{
  asio::io_context ctx;
  fake_redis redis{ctx.get_executor()};
  auto endpoint = parse_redis_endpoint(redis.url()).endpoint;
  auto connection = resp_connection::create(ctx.get_executor(), *endpoint);
  std::optional<bool> up;
  asio::co_spawn(
      ctx, [&]() -> awaitable<void> { up = co_await connection->wait_connected(std::chrono::seconds{30}); },
      asio::detached);
  connection->start();
  REQUIRE(run_until(ctx, [&] { return up.has_value(); }));
  CHECK(*up);
  connection->stop();
  std::optional<bool> after_stop;
  asio::co_spawn(
      ctx,
      [&]() -> awaitable<void> { after_stop = co_await connection->wait_connected(std::chrono::seconds{30}); },
      asio::detached);
  REQUIRE(run_until(ctx, [&] { return after_stop.has_value(); }, std::chrono::seconds{5}));
  CHECK_FALSE(*after_stop);
}

TEST_CASE("a connect deadline that fires as the connect completes leaves the new connection alone",
          "[resp_connection]")
{
  asio::io_context ctx;
  fake_redis redis{ctx.get_executor()};
  auto endpoint = parse_redis_endpoint(redis.url()).endpoint;
  REQUIRE(endpoint);
  int usable = 0;
  for (int i = 0; i < 100; ++i) {
    connection_options options;
    // About as long as a loopback connect: the deadline and the completion race.
    options.connect_timeout = std::chrono::milliseconds{i % 3};
    options.reconnect = core::backoff_policy{1, 1.0, 1, 0.0, 1'000'000};
    auto connection = resp_connection::create(ctx.get_executor(), *endpoint, options);
    connection->start();
    run_until(ctx, [&] { return connection->connected(); }, std::chrono::milliseconds{200});
    if (connection->connected()) {
      bool answered = false;
      asio::co_spawn(
          ctx,
          [&]() -> awaitable<void> {
            std::vector<std::vector<std::string>> commands{{"PING"}};
            auto batch = co_await connection->run(std::move(commands));
            answered = !batch.ec && batch.replies.size() == 1 && batch.replies[0].str == "PONG";
          },
          asio::detached);
      run_until(ctx, [&] { return answered; }, std::chrono::seconds{5});
      if (answered) ++usable;
    }
    connection->stop();
    run_until(ctx, [] { return false; }, std::chrono::milliseconds{2});
  }
  // Under ASan the old code wrote through a reference into a destroyed coroutine frame here.
  CHECK(usable > 0);
}
