// A real redis-server for one test: started on a free loopback port, without persistence,
// and killed when the object goes. The layer's Lua scripts and sorted-set semantics are what
// is under test, so a fake would prove nothing.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace tandem::testing {

class redis_server {
 public:
  /// Starts `redis-server` (from PATH) and waits until it accepts connections; throws if not.
  redis_server();
  ~redis_server();
  redis_server(redis_server const&) = delete;
  redis_server& operator=(redis_server const&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

 private:
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace tandem::testing
