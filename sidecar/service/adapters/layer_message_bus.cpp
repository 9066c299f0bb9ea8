// Only "unavailable" is worth retrying: the other refusals (a full channel, a bad name, a value
// the format cannot carry) would be refused again.
#include "service/adapters/layer_message_bus.hpp"

namespace tandem::service {

namespace {

bus_result
result_of(layer::send_status status)
{
  if (status == layer::send_status::ok) return {bus_status::ok, {}};
  auto const reason = layer::send_status_name(status);
  if (status == layer::send_status::unavailable) return {bus_status::unavailable, reason};
  return {bus_status::refused, reason};
}

}  // namespace

awaitable<bus_result>
layer_message_bus::group_send(std::string group, bus_event event)
{
  auto const sent = co_await layer_.group_send(std::move(group), std::move(event));
  co_return result_of(sent.status);
}

awaitable<bus_result>
layer_message_bus::group_add(std::string group, std::string channel)
{
  auto const status = co_await layer_.group_add(std::move(group), std::move(channel));
  co_return result_of(status);
}

awaitable<bus_result>
layer_message_bus::group_discard(std::string group, std::string channel)
{
  auto const status = co_await layer_.group_discard(std::move(group), std::move(channel));
  co_return result_of(status);
}

}  // namespace tandem::service
