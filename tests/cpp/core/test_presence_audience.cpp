// Who hears a presence change: everyone the privacy rules allow, through group chats when that
// takes fewer sends (each socket then applies its own user's setting), never anyone they forbid.
#include "core/presence_audience.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

using namespace tandem::core;

namespace {

/// A thousand-member group: the owner shares it with 999 others, 2 and 3 are also contacts.
std::vector<presence_viewer>
big_group()
{
  std::vector<presence_viewer> viewers;
  for (std::int64_t u = 2; u <= 1000; ++u) viewers.push_back({u, u <= 3, true, visibility::everyone});
  return viewers;
}

bool
has(std::vector<std::int64_t> const& ids, std::int64_t id)
{
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace

TEST_CASE("a thousand-member group hears an arrival with one group send, contacts in person too",
          "[core][presence]")
{
  std::vector<std::int64_t> const groups{77};
  auto const plan = plan_presence_audience(visibility::everyone, big_group(), groups);
  CHECK(plan.group_chats == groups);
  CHECK(plan.users == std::vector<std::int64_t>{2, 3});  // a 1:1 chat's socket is not in group 77
}

TEST_CASE("an owner who shows presence to contacts only tells each contact in person, no group",
          "[core][presence]")
{
  std::vector<std::int64_t> const groups{77};
  auto const plan = plan_presence_audience(visibility::contacts, big_group(), groups);
  CHECK(plan.group_chats.empty());
  CHECK(plan.users == std::vector<std::int64_t>{2, 3});
  auto const hidden = plan_presence_audience(visibility::nobody, big_group(), groups);
  CHECK(hidden.users.empty());
  CHECK(hidden.group_chats.empty());
}

TEST_CASE("more groups than members they would spare a send: each is told in person", "[core][presence]")
{
  // Ten small groups shared with the same two people: two sends beat ten.
  std::vector<presence_viewer> const two{{5, false, true, visibility::everyone}, {6, false, true, visibility::everyone}};
  std::vector<std::int64_t> const ten{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  auto const small = plan_presence_audience(visibility::everyone, two, ten);
  CHECK(small.group_chats.empty());
  CHECK(small.users == std::vector<std::int64_t>{5, 6});
  // A group whose other members are all contacts: they are told in person anyway.
  std::vector<presence_viewer> const contacts{{5, true, true, visibility::everyone},
                                              {6, true, true, visibility::everyone}};
  std::vector<std::int64_t> const one{1};
  auto const of_contacts = plan_presence_audience(visibility::everyone, contacts, one);
  CHECK(of_contacts.group_chats.empty());
  CHECK(of_contacts.users == std::vector<std::int64_t>{5, 6});
  // Members who show theirs to nobody spare no send: two who may see it, one group of five.
  std::vector<presence_viewer> const mostly_hidden{{5, false, true, visibility::nobody},
                                                   {6, false, true, visibility::nobody},
                                                   {7, false, true, visibility::nobody},
                                                   {8, false, true, visibility::everyone}};
  auto const hidden = plan_presence_audience(visibility::everyone, mostly_hidden, one);
  CHECK(hidden.group_chats.empty());
  CHECK(hidden.users == std::vector<std::int64_t>{8});
  // No group chats to send through (presence_through_groups off): everyone in person.
  auto const none = plan_presence_audience(visibility::everyone, two, {});
  CHECK(none.users == std::vector<std::int64_t>{5, 6});
}

TEST_CASE("every allowed viewer is reached one way or the other, and no forbidden one is", "[core][presence]")
{
  // Every mix of contact / group member / setting, for every owner setting. A viewer reached
  // through a group shows it only if may_see_group_presence allows their own setting.
  std::vector<presence_viewer> viewers;
  std::int64_t id = 2;
  for (bool direct : {false, true})
    for (bool grouped : {false, true})
      for (auto sees : {visibility::everyone, visibility::contacts, visibility::nobody})
        if (direct || grouped)
          for (int copies = 0; copies < 3; ++copies) viewers.push_back({id++, direct, grouped, sees});
  std::vector<std::int64_t> const groups{77};
  for (auto owner : {visibility::everyone, visibility::contacts, visibility::nobody}) {
    auto const plan = plan_presence_audience(owner, viewers, groups);
    for (auto const& v : viewers) {
      bool const shown = has(plan.users, v.user) ||
                         (v.grouped && !plan.group_chats.empty() && may_see_group_presence(v.sees));
      CHECK(shown == may_see_presence(owner, v.sees, v.direct, false));
    }
  }
}

TEST_CASE("a socket shows a group's presence unless its own user shows theirs to nobody", "[core][presence]")
{
  CHECK(may_see_group_presence(visibility::everyone));
  CHECK(may_see_group_presence(visibility::contacts));
  CHECK_FALSE(may_see_group_presence(visibility::nobody));
}
