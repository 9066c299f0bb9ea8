// Weak pointers: the hub never keeps a closed socket alive.
#include "net/websocket_hub.hpp"

namespace tandem::net {

void
websocket_hub::add(std::string const& channel, std::weak_ptr<websocket_session> session)
{
  sessions_[channel] = std::move(session);
}

void
websocket_hub::remove(std::string const& channel)
{
  sessions_.erase(channel);
}

std::shared_ptr<websocket_session>
websocket_hub::find(std::string const& channel) const
{
  auto const it = sessions_.find(channel);
  return it == sessions_.end() ? nullptr : it->second.lock();
}

std::vector<std::shared_ptr<websocket_session>>
websocket_hub::all() const
{
  std::vector<std::shared_ptr<websocket_session>> out;
  out.reserve(sessions_.size());
  for (auto const& [channel, weak] : sessions_)
    if (auto s = weak.lock()) out.push_back(std::move(s));
  return out;
}

}  // namespace tandem::net
