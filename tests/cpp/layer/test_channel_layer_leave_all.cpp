// A drain makes every local channel leave its groups at once (leave_all_groups): one ZREM per
// group and shard instead of one per membership as each socket closes. Against real
// redis-servers (two shards): what must hold is Redis's sorted sets afterwards, with other
// processes' members untouched, and the sockets' own releases finding nothing left to send.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "layer/channel_layer.hpp"
#include "layer/fake_redis.hpp"
#include "layer/names.hpp"
#include "layer/redis_server.hpp"
#include "run_until.hpp"
#include "service/run_coroutine.hpp"

using namespace tandem;
using namespace tandem::layer;
using tandem::testing::fake_redis;
using tandem::testing::redis_server;
using tandem::testing::run_coroutine;
using tandem::testing::run_until;

namespace {

std::string const remote_member = "specific.elsewhere!member1";

struct two_shards {
  redis_server first, second;
  asio::io_context ctx;
  std::shared_ptr<channel_layer> layer;

  two_shards()
  {
    layer_config config;
    config.hosts = {first.url(), second.url()};
    layer = channel_layer::create(ctx.get_executor(), std::move(config));
    layer->start([](std::string const&, message const&) {});
    REQUIRE(run_until(ctx, [&] { return layer->ready(); }));
  }
  ~two_shards()
  {
    layer->stop();
    run_until(ctx, [] { return false; }, std::chrono::milliseconds{50});
  }

  std::size_t joining = 0, joins_failed = 0;

  /// Starts a group_add (they pipeline); joined() waits for all of them.
  void join(std::string const& group, std::string const& channel)
  {
    ++joining;
    asio::co_spawn(ctx, layer->group_add(group, channel), [this](std::exception_ptr e, send_status status) {
      --joining;
      if (e || status != send_status::ok) ++joins_failed;
    });
  }
  void joined()
  {
    REQUIRE(run_until(ctx, [this] { return joining == 0; }));
    REQUIRE(joins_failed == 0);
  }

  std::vector<std::string> members(std::string const& group)
  {
    std::vector<std::vector<std::string>> commands{{"ZRANGE", group_key("asgi", group), "0", "-1"}};
    auto const batch = run_coroutine(ctx, layer->run_commands(group, std::move(commands)));
    REQUIRE(!batch.ec);
    std::vector<std::string> out;
    for (auto const& member : batch.replies.at(0).elements) out.push_back(member.str);
    return out;
  }

  void settle() { run_coroutine(ctx, layer->settle(std::chrono::seconds{30})); }
};

}  // namespace

TEST_CASE("leave_all_groups takes every local channel out of every group, on every shard", "[layer][release]")
{
  two_shards t;
  // 2,500 channels in one big group (more than one ZREM's worth), each also in a group of its
  // own (groups spread over both shards), and a member of another process in the big group.
  constexpr std::size_t channels = 2500;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < channels; ++i) {
    names.push_back(t.layer->new_channel());
    t.join("team", names.back());
    t.join("user." + std::to_string(i), names.back());
  }
  t.join("team", remote_member);
  t.joined();
  REQUIRE(t.members("team").size() == channels + 1);
  auto const sent_before = t.layer->commands_sent();

  t.layer->leave_all_groups();
  t.settle();

  CHECK(t.members("team") == std::vector<std::string>{remote_member});
  for (std::size_t i = 0; i < channels; i += 97) CHECK(t.members("user." + std::to_string(i)).empty());
  // One command per group and shard (three for the big group), not one per membership; the
  // count includes the receive loops' own polls meanwhile, hence the margin.
  CHECK(t.layer->commands_sent() - sent_before < channels + 3 + 100);
  // The sockets then close: nothing is left for their releases to discard.
  for (auto const& name : names) t.layer->release_channel(name);
  CHECK(t.layer->release_visits() == 0u);
}

TEST_CASE("a group joined after leave_all_groups is still left when its socket closes", "[layer][release]")
{
  two_shards t;
  auto const early = t.layer->new_channel();
  auto const late = t.layer->new_channel();
  t.join("room", early);
  t.joined();
  t.layer->leave_all_groups();
  // A socket whose join was under way when the drain began.
  t.join("room", late);
  t.joined();
  t.settle();
  CHECK(t.members("room") == std::vector<std::string>{late});

  t.layer->release_channel(late);
  t.settle();
  CHECK(t.members("room").empty());
  CHECK(t.layer->release_visits() == 1u);
}

TEST_CASE("leave_all_groups sends a batch lost to a reset again once the shard is back", "[layer][release]")
{
  // The memberships are forgotten when the batch is sent: lost, they would stay in Redis for
  // group_expiry (a day), every group message still written to this process's dead queue.
  asio::io_context ctx;
  fake_redis redis{ctx.get_executor()};
  layer_config config;
  config.hosts = {redis.url()};
  config.receive_block = std::chrono::seconds{3600};  // the fake never answers a blocking pop
  auto layer = channel_layer::create(ctx.get_executor(), std::move(config));
  layer->start([](std::string const&, message const&) {});
  REQUIRE(run_until(ctx, [&] { return layer->ready(); }));
  auto const channel = layer->new_channel();
  REQUIRE(run_coroutine(ctx, layer->group_add("room", channel)) == send_status::ok);

  redis.options().reset_on = "ZREM";
  redis.options().resets = 1;
  layer->leave_all_groups();
  run_coroutine(ctx, layer->settle(std::chrono::seconds{30}));

  std::size_t zrems = 0;
  for (auto const& command : redis.commands())
    if (command.at(0) == "ZREM") {
      ++zrems;
      CHECK(command == std::vector<std::string>{"ZREM", group_key("asgi", "room"), channel});
    }
  CHECK(zrems == 2);  // the one the reset took, and the one sent again after the reconnect
  layer->stop();
  run_until(ctx, [] { return false; }, std::chrono::milliseconds{50});
}
