// The parts of the configuration the network layer needs, in the units it uses (built once by
// the composition root from sidecar_config).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "net/unauthenticated_slots.hpp"

namespace tandem::net {

struct server_settings {
  std::size_t max_message_bytes = 65536;
  std::size_t max_frame_depth = 32;  // arrays/objects a client frame may nest
  double rate_per_second = 20;
  double rate_burst = 40;
  std::size_t outbound_queue_frames = 256;
  std::size_t outbound_queue_bytes = 1 << 20;
  std::chrono::milliseconds ping_interval{30000};
  std::chrono::milliseconds handshake_timeout{10000};
  std::chrono::milliseconds http_idle_timeout{15000};
  std::chrono::milliseconds auth_recheck_interval{60000};
  bool permessage_deflate = false;
  int deflate_window_bits = 10;
  std::string bridge_channel = "tandem.bridge";
  double bridge_rate_per_second = 5;  // bridge frames per user per process
  double bridge_burst = 20;
  bool admin_on_main_port = true;
  unauthenticated_caps unauthenticated;
  bool test_echo_endpoint = false;  // serve /ws/echo/ (net/echo_session): tests and benchmarks only
  bool bench_shootout_endpoint = false;  // serve /ws/shootout/ (net/shootout_session): benchmarks only
  double shootout_broadcast_rate = 50;  // broadcasts per second per shootout connection
  double shootout_broadcast_burst = 100;
  std::size_t max_pending_handshakes = 256;
};

}  // namespace tandem::net
