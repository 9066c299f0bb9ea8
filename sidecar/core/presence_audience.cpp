#include "core/presence_audience.hpp"

namespace tandem::core {

presence_audience
plan_presence_audience(visibility owner, std::span<presence_viewer const> viewers,
                       std::span<std::int64_t const> group_chats)
{
  presence_audience plan;
  auto const allowed = [owner](presence_viewer const& v) { return may_see_presence(owner, v.sees, v.direct, false); };
  // Those a group send would spare a send of their own: contacts are told in person anyway.
  std::size_t only_grouped = 0;
  for (auto const& v : viewers)
    if (v.grouped && !v.direct && allowed(v)) ++only_grouped;
  bool const through_groups =
      owner == visibility::everyone && !group_chats.empty() && group_chats.size() < only_grouped;
  for (auto const& v : viewers)
    if (allowed(v) && (!through_groups || v.direct || !v.grouped)) plan.users.push_back(v.user);
  if (through_groups) plan.group_chats.assign(group_chats.begin(), group_chats.end());
  return plan;
}

bool
may_see_group_presence(visibility viewer) noexcept
{
  return may_see_presence(visibility::everyone, viewer, false, false);
}

}  // namespace tandem::core
