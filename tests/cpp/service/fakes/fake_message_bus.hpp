// An in-memory message bus: records every event it took, in order, and the group memberships;
// fails, refuses or delays as its fault plan says.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fakes/fault_plan.hpp"
#include "service/ports/message_bus.hpp"

namespace tandem::fakes {

struct bus_delivery {
  std::string group;
  service::bus_event event;
};

class fake_message_bus final : public service::message_bus {
 public:
  awaitable<service::bus_result> group_send(std::string group, service::bus_event event) override;
  awaitable<service::bus_result> group_add(std::string group, std::string channel) override;
  awaitable<service::bus_result> group_discard(std::string group, std::string channel) override;

  /// The events taken for `group`, in order.
  std::vector<service::bus_event> sent_to(std::string_view group) const;

  fault_plan faults;
  std::vector<bus_delivery> sent;  // every event taken, in order
  std::map<std::string, std::set<std::string>> members;
  std::size_t sends_in_flight = 0;       // group sends called and not yet answered
  std::size_t most_sends_in_flight = 0;  // the most there ever were at once

 private:
  awaitable<service::bus_result> answer();
};

}  // namespace tandem::fakes
