// Channel-layer events become client frames per docs/protocol.md; anything else is dropped.
#include "protocol/event_frames.hpp"

#include <catch2/catch.hpp>

using namespace tandem::protocol;
using json = nlohmann::ordered_json;

TEST_CASE("a tandem.frame event sends its frame verbatim", "[protocol][events]")
{
  auto const a = event_to_action(json{{"type", "tandem.frame"}, {"frame", {{"type", "echo.reply"}, {"text", "hi"}}}});
  CHECK(a.what == event_action::kind::send_text);
  CHECK(json::parse(a.text) == json{{"type", "echo.reply"}, {"text", "hi"}});
}

TEST_CASE("a tandem.frame without a typed frame is dropped", "[protocol][events]")
{
  CHECK(event_to_action(json{{"type", "tandem.frame"}}).what == event_action::kind::drop);
  CHECK(event_to_action(json{{"type", "tandem.frame"}, {"frame", {{"text", "x"}}}}).what == event_action::kind::drop);
}

TEST_CASE("websocket.send sends its text as it is", "[protocol][events]")
{
  auto const a = event_to_action(json{{"type", "websocket.send"}, {"text", "{\"type\":\"x\"}"}});
  CHECK(a.what == event_action::kind::send_text);
  CHECK(a.text == "{\"type\":\"x\"}");
}

TEST_CASE("notification and chat.message keep their fields under the frame type", "[protocol][events]")
{
  auto const n = event_to_action(json{{"type", "notification"}, {"text", "hi"}, {"n", 3}});
  CHECK(json::parse(n.text) == json{{"type", "notification"}, {"text", "hi"}, {"n", 3}});
  auto const m = event_to_action(json{{"type", "chat.message"}, {"body", "yo"}});
  CHECK(json::parse(m.text) == json{{"type", "message"}, {"body", "yo"}});
}

TEST_CASE("tandem.disconnect closes with an application code, 4401 by default", "[protocol][events]")
{
  auto const plain = event_to_action(json{{"type", "tandem.disconnect"}});
  CHECK(plain.what == event_action::kind::close);
  CHECK(plain.close_code == 4401);
  CHECK(event_to_action(json{{"type", "tandem.disconnect"}, {"code", 4403}}).close_code == 4403);
  CHECK(event_to_action(json{{"type", "tandem.disconnect"}, {"code", 1006}}).close_code == 4401);
  CHECK(plain.text.empty());  // every socket the event reaches
}

TEST_CASE("tandem.disconnect naming a session closes only that session's sockets; a bad name closes none",
          "[protocol][events]")
{
  std::string const fingerprint(64, 'a');
  auto const one = event_to_action(json{{"type", "tandem.disconnect"}, {"session", fingerprint}});
  CHECK(one.what == event_action::kind::close);
  CHECK(one.text == fingerprint);
  for (auto const& bad : {json("ABC"), json(std::string(64, 'A')), json(std::string(63, 'a')), json(42), json(nullptr)}) {
    INFO("session " << bad);
    CHECK(event_to_action(json{{"type", "tandem.disconnect"}, {"session", bad}}).what == event_action::kind::drop);
  }
}

TEST_CASE("tandem.privacy carries the user's new presence setting; anything else in it is dropped",
          "[protocol][events]")
{
  auto const nobody = event_to_action(json{{"type", "tandem.privacy"}, {"presence_visibility", "nobody"}});
  CHECK(nobody.what == event_action::kind::privacy);
  CHECK(nobody.visibility == tandem::core::visibility::nobody);
  CHECK(event_to_action(json{{"type", "tandem.privacy"}, {"presence_visibility", "contacts"}}).visibility ==
        tandem::core::visibility::contacts);
  CHECK(event_to_action(json{{"type", "tandem.privacy"}}).what == event_action::kind::drop);
  CHECK(event_to_action(json{{"type", "tandem.privacy"}, {"presence_visibility", 2}}).what == event_action::kind::drop);
  CHECK(event_to_action(json{{"type", "tandem.privacy"}, {"presence_visibility", "friends"}}).what ==
        event_action::kind::drop);
}

TEST_CASE("unknown, untyped and byte-carrying events are dropped with a reason", "[protocol][events]")
{
  CHECK(event_to_action(json{{"type", "chat.unknown"}}).what == event_action::kind::drop);
  CHECK(event_to_action(json{{"text", "no type"}}).what == event_action::kind::drop);
  CHECK(event_to_action(json::array()).what == event_action::kind::drop);
  json with_bytes{{"type", "notification"}, {"blob", json::binary({1, 2, 3})}};
  auto const a = event_to_action(with_bytes);
  CHECK(a.what == event_action::kind::drop);
  CHECK_FALSE(a.text.empty());
}

TEST_CASE("stored chat messages, typing and presence are classified for the socket", "[protocol][events]")
{
  auto const m = event_to_action(json{{"type", "chat.message"}, {"chat", 4}, {"seq", 9}, {"sender", 2}, {"body", "x"}});
  CHECK(m.what == event_action::kind::chat_message);
  CHECK((m.chat == 4 && m.seq == 9 && m.sender == 2));
  CHECK(json::parse(m.text)["type"] == "message");
  CHECK(event_to_action(json{{"type", "chat.typing"}}).what == event_action::kind::typing);
  CHECK(event_to_action(json{{"type", "presence.update"}}).what == event_action::kind::presence);
}
