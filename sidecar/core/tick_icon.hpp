// How a tick looks: the icon the client draws and the label a screen reader announces.
#pragma once

#include <string_view>

#include "core/tick.hpp"

namespace tandem::core {

struct tick_icon {
  std::string_view icon;   // CSS/icon name: "clock", "tick-single-grey", ...
  std::string_view label;  // accessible label: "Sending", "Sent", "Delivered", "Read", ...
};

/// clock (pending), single grey (sent), double grey (delivered), double blue (read),
/// red warning (failed).
tick_icon icon_for(tick state) noexcept;

}  // namespace tandem::core
