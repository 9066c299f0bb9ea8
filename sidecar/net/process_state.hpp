// What every I/O thread shares: settings, the Origin policy, connection limits and the
// draining flag. Read-only after start-up except the atomics and the mutex-guarded limits.
#pragma once

#include <atomic>
#include <vector>

#include "auth/origin_policy.hpp"
#include "net/connection_limits.hpp"
#include "net/server_settings.hpp"
#include "net/session_verifier.hpp"
#include "ops/metrics.hpp"
#include "service/messaging_settings.hpp"
#include "service/presence_settings.hpp"

namespace tandem::net {

struct process_state {
  server_settings settings;
  service::messaging_settings messaging;
  service::presence_settings presence;
  service::typing_settings typing;
  session_settings sessions;
  auth::origin_policy origins;
  connection_limits limits;
  std::atomic<bool> draining{false};
  /// Workers whose drain has counted their sockets out of presence (io_worker::siblings_counted_out).
  std::atomic<std::size_t> leases_counted_out{0};
  std::vector<ops::thread_metrics const*> metrics;  // one per thread, filled before threads start
};

}  // namespace tandem::net
