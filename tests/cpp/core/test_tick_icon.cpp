// Tick icons and their accessible labels.
#include "core/tick_icon.hpp"

#include <catch2/catch.hpp>

using namespace tandem::core;

TEST_CASE("each tick has its own icon and a label for screen readers", "[core][tick_icon]")
{
  CHECK(icon_for(tick::pending).icon == "clock");
  CHECK(icon_for(tick::sent).icon == "tick-single-grey");
  CHECK(icon_for(tick::delivered).icon == "tick-double-grey");
  CHECK(icon_for(tick::read).icon == "tick-double-blue");
  CHECK(icon_for(tick::failed).icon == "warning-red");
  CHECK(icon_for(tick::read).label == "Read");
  for (auto t : {tick::pending, tick::sent, tick::delivered, tick::read, tick::failed})
    CHECK_FALSE(icon_for(t).label.empty());
}
