// What the use cases need of the channel layer: send an event to a group (every socket in it
// on every sidecar process, and Python consumers), and join or leave groups. The adapter over
// channels_redis is service/adapters/layer_message_bus; tests use an in-memory bus.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "asio/asio.hpp"

namespace tandem::service {

/// A channel-layer event: an ordered JSON object with a "type" (the layer's message type).
using bus_event = nlohmann::ordered_json;

enum class bus_status : std::uint8_t {
  ok,
  refused,      // the bus can never carry this (bad name, a value the format cannot hold): do not retry
  unavailable,  // the bus did not answer or is down: retrying later may work
};

struct bus_result {
  bus_status status = bus_status::ok;
  std::string_view reason;  // the adapter's name for a refusal or failure, for logs ("" when ok)
};

class message_bus {
 public:
  virtual ~message_bus() = default;
  virtual awaitable<bus_result> group_send(std::string group, bus_event event) = 0;
  virtual awaitable<bus_result> group_add(std::string group, std::string channel) = 0;
  virtual awaitable<bus_result> group_discard(std::string group, std::string channel) = 0;
};

}  // namespace tandem::service
