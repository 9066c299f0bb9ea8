// A refusal is named as the channel layer names its invalid_message, an outage as unavailable.
#include "fakes/fake_message_bus.hpp"

#include <algorithm>

namespace tandem::fakes {

awaitable<service::bus_result>
fake_message_bus::answer()
{
  co_await wait_for(faults.delay);
  switch (faults.take()) {
    case fault::none: co_return service::bus_result{service::bus_status::ok, {}};
    case fault::refused: co_return service::bus_result{service::bus_status::refused, "invalid_message"};
    default: co_return service::bus_result{service::bus_status::unavailable, "unavailable"};
  }
}

awaitable<service::bus_result>
fake_message_bus::group_send(std::string group, service::bus_event event)
{
  most_sends_in_flight = std::max(most_sends_in_flight, ++sends_in_flight);
  auto const result = co_await answer();
  --sends_in_flight;
  if (result.status == service::bus_status::ok) sent.push_back({std::move(group), std::move(event)});
  co_return result;
}

awaitable<service::bus_result>
fake_message_bus::group_add(std::string group, std::string channel)
{
  auto const result = co_await answer();
  if (result.status == service::bus_status::ok) members[group].insert(std::move(channel));
  co_return result;
}

awaitable<service::bus_result>
fake_message_bus::group_discard(std::string group, std::string channel)
{
  auto const result = co_await answer();
  if (result.status == service::bus_status::ok) members[group].erase(channel);
  co_return result;
}

std::vector<service::bus_event>
fake_message_bus::sent_to(std::string_view group) const
{
  std::vector<service::bus_event> out;
  for (auto const& delivery : sent)
    if (delivery.group == group) out.push_back(delivery.event);
  return out;
}

}  // namespace tandem::fakes
