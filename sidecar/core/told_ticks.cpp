#include "core/told_ticks.hpp"

#include <functional>

namespace tandem::core {

std::size_t
told_ticks::key_hash::operator()(key const& k) const noexcept
{
  std::hash<std::int64_t> const h;
  return h(k.chat) * 31u + h(k.sender) * 2u + static_cast<std::size_t>(k.kind);
}

bool
told_ticks::first_to_tell(std::int64_t chat, status_news const& news)
{
  key const k{chat, news.sender_id, news.kind};
  if (auto const found = told_.find(k); found != told_.end()) {
    if (found->second >= news.upto) return false;
    found->second = news.upto;
    return true;
  }
  if (told_.size() >= capacity_) told_.clear();
  told_.emplace(k, news.upto);
  return true;
}

void
told_ticks::not_told(std::int64_t chat, status_news const& news)
{
  auto const found = told_.find({chat, news.sender_id, news.kind});
  if (found != told_.end() && found->second == news.upto) told_.erase(found);
}

}  // namespace tandem::core
