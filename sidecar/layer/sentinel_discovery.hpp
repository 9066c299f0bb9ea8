// Finding a Redis master through Sentinel, as redis-py's SentinelConnectionPool does: ask each
// Sentinel in turn `SENTINEL get-master-addr-by-name <name>` and use the first answer. The
// connection then checks with ROLE that the address really is a master (a Sentinel may still
// name the old one for a moment during a failover).
#pragma once

#include <cstdint>
#include <string>

#include "asio/asio.hpp"
#include "layer/redis_endpoint.hpp"

namespace tandem::layer {

struct master_address {
  error_code ec;  // set when no Sentinel named a master
  std::string host;
  std::uint16_t port = 0;
  std::string detail;  // what went wrong, per Sentinel, for the log
};

/// Asks the Sentinels of `options`, starting at `first` (the one that answered last time),
/// each within `timeout`. `answered` is set to the index of the Sentinel that answered.
awaitable<master_address> discover_master(asio::any_io_executor executor, sentinel_options const& options,
                                          std::chrono::milliseconds timeout, std::size_t first, std::size_t& answered);

}  // namespace tandem::layer
