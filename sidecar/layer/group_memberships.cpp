// See group_memberships.hpp: both indexes change together in every member, never one alone.
#include "layer/group_memberships.hpp"

#include <algorithm>

namespace tandem::layer {

bool
group_memberships::add(std::string const& group, std::string const& channel)
{
  auto const entry = channels_of_group_.try_emplace(group).first;
  if (!entry->second.insert(channel).second) return false;
  groups_of_channel_[channel].push_back(&entry->first);
  return true;
}

bool
group_memberships::remove(std::string const& group, std::string const& channel)
{
  auto const by_channel = groups_of_channel_.find(channel);
  if (by_channel == groups_of_channel_.end()) return false;
  auto& groups = by_channel->second;
  auto const listed = std::find_if(groups.begin(), groups.end(), [&](auto const* g) { return *g == group; });
  if (listed == groups.end()) return false;
  // Swap-and-pop: the order of a channel's groups carries no meaning.
  *listed = groups.back();
  groups.pop_back();
  if (groups.empty()) groups_of_channel_.erase(by_channel);
  forget_in_group(group, channel);
  return true;
}

std::vector<std::string>
group_memberships::release(std::string const& channel)
{
  std::vector<std::string> left;
  auto const by_channel = groups_of_channel_.find(channel);
  if (by_channel == groups_of_channel_.end()) return left;
  auto const groups = std::move(by_channel->second);
  groups_of_channel_.erase(by_channel);
  left.reserve(groups.size());
  for (auto const* group : groups) {
    left.push_back(*group);  // copied first: forget_in_group may free the key it points at
    forget_in_group(left.back(), channel);
  }
  return left;
}

void
group_memberships::clear() noexcept
{
  groups_of_channel_.clear();  // first: it points into channels_of_group_'s keys
  channels_of_group_.clear();
}

std::vector<std::string>
group_memberships::groups_of(std::string const& channel) const
{
  std::vector<std::string> groups;
  if (auto const it = groups_of_channel_.find(channel); it != groups_of_channel_.end())
    for (auto const* group : it->second) groups.push_back(*group);
  return groups;
}

void
group_memberships::forget_in_group(std::string const& group, std::string const& channel)
{
  auto const it = channels_of_group_.find(group);
  if (it == channels_of_group_.end()) return;
  it->second.erase(channel);
  if (it->second.empty()) channels_of_group_.erase(it);
}

}  // namespace tandem::layer
