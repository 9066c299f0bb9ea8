// Per-chat holding pens, opened by begin() and drained by the matching end().
#include "protocol/sync_gate.hpp"

#include <algorithm>

namespace tandem::protocol {

void
sync_gate::begin(std::int64_t chat)
{
  ++open_[chat].depth;
}

bool
sync_gate::admit(std::int64_t chat, core::seq_t seq, std::string const& frame)
{
  auto const it = open_.find(chat);
  if (it == open_.end()) return true;
  if (it->second.held.size() >= max_held_) return true;
  it->second.held.push_back({seq, frame});
  return false;
}

std::vector<std::string>
sync_gate::end(std::int64_t chat, std::optional<core::seq_t> covered)
{
  auto const it = open_.find(chat);
  if (it == open_.end()) return {};
  auto& sync = it->second;
  if (covered) sync.covered = std::max(sync.covered.value_or(0), *covered);
  if (--sync.depth > 0) return {};
  std::stable_sort(sync.held.begin(), sync.held.end(),
                   [](held_frame const& a, held_frame const& b) { return a.seq < b.seq; });
  std::vector<std::string> release;
  for (auto& h : sync.held)
    if (!sync.covered || h.seq > *sync.covered) release.push_back(std::move(h.frame));
  open_.erase(it);
  return release;
}

}  // namespace tandem::protocol
