// Settings of the channel layer, named as in Django's CHANNEL_LAYERS["default"]["CONFIG"] so
// the management command can copy them one to one, plus Tandem's own knobs.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "layer/resp_connection.hpp"
#include "layer/serializer.hpp"

namespace tandem::layer {

struct layer_config {
  // channels_redis options (same names, same defaults)
  std::vector<std::string> hosts{"redis://localhost:6379"};  // order decides sharding
  std::string prefix = "asgi";
  std::int64_t expiry_s = 60;
  std::int64_t group_expiry_s = 86400;
  std::size_t capacity = 100;
  std::vector<std::pair<std::string, std::size_t>> channel_capacity;  // glob (or "re:regex") → capacity
  std::vector<std::string> symmetric_encryption_keys;
  serializer_format format = serializer_format::msgpack;
  std::size_t random_prefix_length = 12;

  // Tandem's own
  std::size_t receive_batch = 100;           // ZPOPMIN count when draining the process queue
  std::chrono::seconds receive_block{5};     // BZPOPMIN timeout (channels_redis's brpop_timeout)
  std::chrono::seconds group_refresh{0};     // re-add local memberships this often; 0 = group_expiry/2
  bool local_fast_path = true;               // this process's channels (any thread's): in-process, not Redis
  // group_send messages kept per full process queue until it has room (beyond: dropped, counted)
  std::size_t pending_per_queue = 10000;
  connection_options connection;
};

}  // namespace tandem::layer
