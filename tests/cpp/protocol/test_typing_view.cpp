// What a socket shows of typing: the set of typists per chat, batched into one frame, worded
// by the core, robust to notices that overtake each other.
#include "protocol/typing_view.hpp"

#include <catch2/catch.hpp>

using namespace tandem::protocol;

namespace {

nlohmann::json
frame_of(typing_view const& view, std::int64_t chat)
{
  return nlohmann::json::parse(view.frame(chat));
}

}  // namespace

TEST_CASE("typists of a chat are listed in one frame with the core's wording", "[protocol][typing]")
{
  typing_view view;
  CHECK(view.apply({7, 1, "ann", true, 5000, 1}));
  CHECK(view.apply({7, 2, "bo", true, 5000, 2}));
  CHECK_FALSE(view.apply({7, 1, "ann", true, 7000, 3}));  // a refresh changes nothing shown
  auto const frame = frame_of(view, 7);
  CHECK(frame["users"].size() == 2);
  CHECK(frame["text"] == "ann and bo are typing…");
}

TEST_CASE("a stop, a message or the expiry ends a typist", "[protocol][typing]")
{
  typing_view view;
  view.apply({7, 1, "ann", true, 5000, 1});
  view.apply({7, 2, "bo", true, 6000, 2});
  view.apply({7, 3, "cy", true, 9000, 3});
  CHECK(view.apply({7, 1, "ann", false, 5000, 4}));
  CHECK(view.forget(7, 2));
  CHECK(view.next_expiry() == 9000);
  CHECK(view.expire(9000) == std::vector<std::int64_t>{7});
  CHECK(frame_of(view, 7)["users"].empty());
  CHECK(frame_of(view, 7)["text"] == "");
}

TEST_CASE("a start that arrives after its stop does not bring typing back", "[protocol][typing]")
{
  typing_view view;
  CHECK_FALSE(view.apply({7, 1, "ann", false, 5000, 20}));
  CHECK_FALSE(view.apply({7, 1, "ann", true, 5000, 10}));
  CHECK(frame_of(view, 7)["users"].empty());
}

TEST_CASE("typing events survive the trip through JSON", "[protocol][typing]")
{
  typing_event const event{7, 1, "ann", true, 5000, 42};
  auto const back = typing_event_from_json(typing_event_json(event));
  REQUIRE(back);
  CHECK(back->order == 42);
  CHECK(back->name == "ann");
  CHECK_FALSE(typing_event_from_json(nlohmann::ordered_json{{"type", "chat.typing"}}));
}
