// Releasing a closed socket's channel touches only that channel's own group memberships: a
// drain closes every socket at once, and a scan of all memberships per socket made a drain of
// N sockets in G groups cost N×G (issue 14, W7). The layer is not started: its commands fail
// at once as not connected, while the memberships it keeps for re-adding are what is measured.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "layer/channel_layer.hpp"
#include "run_until.hpp"

using namespace tandem;
using namespace tandem::layer;
using tandem::testing::run_until;

namespace {

struct unstarted_layer {
  asio::io_context ctx;
  std::shared_ptr<channel_layer> layer = channel_layer::create(ctx.get_executor(), layer_config{});
  std::size_t pending = 0;

  void join(std::string const& group, std::string const& channel)
  {
    ++pending;
    asio::co_spawn(ctx, layer->group_add(group, channel), [this](std::exception_ptr, send_status) { --pending; });
  }
  void settle() { REQUIRE(run_until(ctx, [this] { return pending == 0; })); }
  /// Runs the group discards release_channel spawned.
  void run_spawned()
  {
    ctx.restart();
    ctx.run();
  }
};

}  // namespace

TEST_CASE("releasing one channel among many looks only at its own groups", "[layer][release]")
{
  unstarted_layer t;
  constexpr std::size_t channels = 2000;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < channels; ++i) {
    names.push_back(t.layer->new_channel());
    t.join("user." + std::to_string(i), names.back());  // one group each, as a notification socket
  }
  t.join("room.shared", names[0]);
  t.join("room.shared", names[1]);
  t.settle();

  t.layer->release_channel(names[0]);
  t.run_spawned();
  CHECK(t.layer->release_visits() == 2u);  // user.0 and room.shared, not all 2,001 groups
}

TEST_CASE("a drain looks at each membership once", "[layer][release]")
{
  unstarted_layer t;
  constexpr std::size_t channels = 1000;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < channels; ++i) {
    names.push_back(t.layer->new_channel());
    t.join("user." + std::to_string(i), names.back());
    t.join("team." + std::to_string(i % 10), names.back());
  }
  t.settle();

  for (auto const& name : names) t.layer->release_channel(name);
  t.run_spawned();
  CHECK(t.layer->release_visits() == 2 * channels);
}

TEST_CASE("a group left before the release is not looked at again", "[layer][release]")
{
  unstarted_layer t;
  auto const channel = t.layer->new_channel();
  t.join("a", channel);
  t.join("b", channel);
  t.settle();
  ++t.pending;
  asio::co_spawn(t.ctx, t.layer->group_discard("a", channel), [&t](std::exception_ptr, send_status) { --t.pending; });
  t.settle();

  t.layer->release_channel(channel);
  t.run_spawned();
  CHECK(t.layer->release_visits() == 1u);
  t.layer->release_channel(channel);  // a second release (both close paths ran) finds nothing
  CHECK(t.layer->release_visits() == 1u);
}
