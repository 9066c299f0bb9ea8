// The message bus over the channels_redis peer: group sends and memberships go to the worker's
// channel layer, and its statuses become the bus's three (ok, refused, unavailable).
#pragma once

#include "layer/channel_layer.hpp"
#include "service/ports/message_bus.hpp"

namespace tandem::service {

class layer_message_bus final : public message_bus {
 public:
  explicit layer_message_bus(layer::channel_layer& layer) : layer_{layer} {}

  awaitable<bus_result> group_send(std::string group, bus_event event) override;
  awaitable<bus_result> group_add(std::string group, std::string channel) override;
  awaitable<bus_result> group_discard(std::string group, std::string channel) override;

 private:
  layer::channel_layer& layer_;
};

}  // namespace tandem::service
