// Presence events and frames: a hidden entry (a privacy change, docs/protocol.md "Privacy")
// tells the viewer to forget the user's presence and nothing else about them.
#include "protocol/presence_frames.hpp"

#include <catch2/catch.hpp>

#include "protocol/event_frames.hpp"

using namespace tandem::protocol;
using json = nlohmann::json;

TEST_CASE("a presence.update becomes a frame worded in the viewer's zone", "[protocol][presence]")
{
  auto const entry = presence_entry_from_event({{"type", "presence.update"}, {"user", 5}, {"online", true}});
  REQUIRE(entry);
  presence_entry const entries[] = {*entry};
  auto const frame = json::parse(presence_frame(entries, 0, 0));
  CHECK(frame["users"][0] == json{{"user", 5}, {"online", true}, {"last_seen", nullptr}, {"text", "Online"}});
}

TEST_CASE("a hidden entry carries nothing of the user's presence", "[protocol][presence]")
{
  auto const entry = presence_entry_from_event(
      {{"type", "presence.update"}, {"user", 5}, {"online", true}, {"last_seen", 1000}, {"hidden", true}});
  REQUIRE(entry);
  CHECK(entry->hidden);
  CHECK_FALSE(entry->online);
  CHECK_FALSE(entry->last_seen);
  presence_entry const entries[] = {*entry};
  auto const frame = json::parse(presence_frame(entries, 5000, 60));
  CHECK(frame["users"][0] ==
        json{{"user", 5}, {"online", false}, {"last_seen", nullptr}, {"text", ""}, {"hidden", true}});
  CHECK(presence_event(*entry)["hidden"] == true);
}

TEST_CASE("a presence.update with a hidden that is not a boolean is malformed", "[protocol][presence]")
{
  CHECK_FALSE(presence_entry_from_event({{"user", 5}, {"online", false}, {"hidden", "yes"}}));
  CHECK_FALSE(presence_event({5, false, std::nullopt, false}).contains("hidden"));
}

TEST_CASE("a group's presence.members is shown to members who may see it, not to its own user",
          "[protocol][presence]")
{
  using tandem::core::visibility;
  auto const event = presence_members_event({5, true, std::nullopt, false});
  CHECK(event["type"] == "presence.members");
  CHECK(event_to_action(event).what == event_action::kind::presence);
  CHECK(presence_event_shown_to(event, 6, visibility::everyone));
  CHECK(presence_event_shown_to(event, 6, visibility::contacts));
  CHECK_FALSE(presence_event_shown_to(event, 6, visibility::nobody));  // reciprocal: sees no one's
  CHECK_FALSE(presence_event_shown_to(event, 6, std::nullopt));        // not known yet
  CHECK_FALSE(presence_event_shown_to(event, 5, visibility::everyone));
  auto const entry = presence_entry_from_event(event);
  REQUIRE(entry);
  CHECK(entry->user == 5);
  CHECK(entry->online);
  // A presence.update was decided for the viewer alone: always shown.
  CHECK(presence_event_shown_to(presence_event({5, true, std::nullopt, false}), 6, std::nullopt));
}
