// Icon names and accessible labels for each tick state.
#include "core/tick_icon.hpp"

namespace tandem::core {

tick_icon
icon_for(tick state) noexcept
{
  switch (state) {
    case tick::pending: return {"clock", "Sending"};
    case tick::sent: return {"tick-single-grey", "Sent"};
    case tick::delivered: return {"tick-double-grey", "Delivered"};
    case tick::read: return {"tick-double-blue", "Read"};
    case tick::failed: return {"warning-red", "Not sent. Tap retry to send again"};
  }
  return {"clock", "Sending"};
}

}  // namespace tandem::core
