// The two indexes of group_memberships agree after every change: what a re-add puts back in
// Redis (by group) and what a release discards (by channel) are the same memberships.
#include "layer/group_memberships.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

using tandem::layer::group_memberships;

namespace {

std::vector<std::string>
sorted(std::vector<std::string> v)
{
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST_CASE("a channel's groups are found from the channel and from each group", "[layer][memberships]")
{
  group_memberships m;
  CHECK(m.add("room", "c1"));
  CHECK(m.add("user.1", "c1"));
  CHECK(m.add("room", "c2"));
  CHECK_FALSE(m.add("room", "c1"));  // joining twice is one membership
  CHECK(sorted(m.groups_of("c1")) == std::vector<std::string>{"room", "user.1"});
  CHECK(m.by_group().at("room") == group_memberships::channel_set{"c1", "c2"});
  CHECK(m.channel_count() == 2u);
}

TEST_CASE("leaving a group forgets it both ways and drops an emptied group", "[layer][memberships]")
{
  group_memberships m;
  m.add("room", "c1");
  m.add("user.1", "c1");
  CHECK(m.remove("user.1", "c1"));
  CHECK_FALSE(m.remove("user.1", "c1"));
  CHECK_FALSE(m.remove("room", "nobody"));
  CHECK(m.groups_of("c1") == std::vector<std::string>{"room"});
  CHECK_FALSE(m.by_group().contains("user.1"));
  CHECK(m.remove("room", "c1"));
  CHECK(m.by_group().empty());
  CHECK(m.channel_count() == 0u);
}

TEST_CASE("releasing a channel returns its groups and leaves everyone else's", "[layer][memberships]")
{
  group_memberships m;
  m.add("room", "c1");
  m.add("user.1", "c1");
  m.add("room", "c2");
  m.add("user.2", "c2");
  CHECK(sorted(m.release("c1")) == std::vector<std::string>{"room", "user.1"});
  CHECK(m.release("c1").empty());
  CHECK(m.by_group().at("room") == group_memberships::channel_set{"c2"});
  CHECK_FALSE(m.by_group().contains("user.1"));
  CHECK(sorted(m.groups_of("c2")) == std::vector<std::string>{"room", "user.2"});
}

TEST_CASE("a group emptied and joined again is listed under its new entry", "[layer][memberships]")
{
  // The channel index points at the group index's keys: a group erased when its last channel
  // left and created again must not leave a stale pointer behind.
  group_memberships m;
  m.add("room", "c1");
  m.add("other", "c2");
  m.release("c1");
  for (int i = 0; i < 100; ++i) m.add("filler." + std::to_string(i), "c3");
  m.add("room", "c2");
  CHECK(sorted(m.groups_of("c2")) == std::vector<std::string>{"other", "room"});
  CHECK(sorted(m.release("c2")) == std::vector<std::string>{"other", "room"});
  CHECK(m.by_group().size() == 100u);
}
