// One I/O thread's index of its open sockets by channel name: where channel-layer messages for
// this thread's channels are handed to their socket. Single-threaded by construction.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace tandem::net {

class websocket_session;

class websocket_hub {
 public:
  void add(std::string const& channel, std::weak_ptr<websocket_session> session);
  void remove(std::string const& channel);
  std::shared_ptr<websocket_session> find(std::string const& channel) const;
  std::vector<std::shared_ptr<websocket_session>> all() const;
  std::size_t size() const noexcept { return sessions_.size(); }

 private:
  std::unordered_map<std::string, std::weak_ptr<websocket_session>> sessions_;
};

}  // namespace tandem::net
