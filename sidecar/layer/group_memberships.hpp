// The groups this process's own channels joined, indexed both ways: by group, to put them back
// in Redis after a reconnect or before they expire, and by channel, so that closing a socket
// costs its own groups only. A drain closes every socket at once; a scan of all memberships
// per socket made it quadratic (N sockets × G groups).
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace tandem::layer {

class group_memberships {
 public:
  using channel_set = std::set<std::string>;

  /// Records that `channel` joined `group`; false when it already had.
  bool add(std::string const& group, std::string const& channel);
  /// Records that `channel` left `group`; false when it was not in it.
  bool remove(std::string const& group, std::string const& channel);
  /// Forgets `channel` in every group it joined and returns those groups.
  std::vector<std::string> release(std::string const& channel);
  /// Forgets every membership (a drain: all of them left Redis in one go).
  void clear() noexcept;

  /// Every group with at least one local channel, and its channels.
  std::map<std::string, channel_set> const& by_group() const noexcept { return channels_of_group_; }
  /// The groups `channel` is in (empty when none).
  std::vector<std::string> groups_of(std::string const& channel) const;
  std::size_t channel_count() const noexcept { return groups_of_channel_.size(); }

 private:
  void forget_in_group(std::string const& group, std::string const& channel);

  std::map<std::string, channel_set> channels_of_group_;
  // Points at channels_of_group_'s keys (map nodes do not move) instead of copying each group
  // name per member: a group's key lives as long as one of its channels lists it.
  std::unordered_map<std::string, std::vector<std::string const*>> groups_of_channel_;
};

}  // namespace tandem::layer
