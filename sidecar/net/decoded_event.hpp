// A channel-layer event decoded once for every local socket it is addressed to: a group message
// reaches a worker once, listing all its local members, so the event → frame work (a JSON copy,
// a dump, an allocation) is done once and the frame is one shared buffer in every socket's
// outbound queue, instead of one serialization per recipient.
#pragma once

#include <memory>
#include <string>

#include "layer/message.hpp"
#include "protocol/event_frames.hpp"

namespace tandem::net {

struct decoded_event {
  protocol::event_action action;
  std::shared_ptr<std::string const> frame;  // action.text, for send_text and chat_message

  explicit decoded_event(layer::message const& event)
      : action{protocol::event_to_action(event)}, frame{std::make_shared<std::string const>(action.text)}
  {
  }
};

}  // namespace tandem::net
