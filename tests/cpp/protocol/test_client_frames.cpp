// Client frames parse or produce the error to answer; error frames carry code, number, ref.
#include "protocol/client_frames.hpp"

#include <catch2/catch.hpp>

using namespace tandem::protocol;
using tandem::core::error_code;
using json = nlohmann::json;

TEST_CASE("a JSON object with a string type is a frame", "[protocol][client]")
{
  auto const p = parse_client_frame(R"({"type":"ping","ref":"r1"})");
  REQUIRE(p.frame);
  CHECK(p.frame->type == "ping");
  CHECK(p.frame->ref == "r1");
}

TEST_CASE("client_id is the reference a reply echoes", "[protocol][client]")
{
  auto const p = parse_client_frame(R"({"type":"send","client_id":"c-9"})");
  CHECK(p.frame->ref == "c-9");
}

TEST_CASE("not JSON, not an object or not UTF-8 is a bad frame", "[protocol][client]")
{
  for (std::string text : {std::string{"nope"}, std::string{"[1]"}, std::string{"\"x\""}, std::string{"{\"type\":\"\xff\"}"}}) {
    auto const p = parse_client_frame(text);
    CHECK_FALSE(p.frame);
    CHECK(p.error == error_code::bad_frame);
  }
}

TEST_CASE("a missing or non-string type names the field", "[protocol][client]")
{
  auto const missing = parse_client_frame(R"({"ref":"a"})");
  CHECK(missing.error == error_code::missing_field);
  CHECK(missing.detail == "type");
  CHECK(missing.ref == "a");
  CHECK(parse_client_frame(R"({"type":3})").error == error_code::invalid_field);
  CHECK(parse_client_frame(R"({"type":""})").error == error_code::invalid_field);
}

TEST_CASE("an error frame has the stable name, number, message and ref", "[protocol][client]")
{
  auto const frame = json::parse(error_frame(error_code::missing_field, "type", std::string{"r"}));
  CHECK(frame["type"] == "error");
  CHECK(frame["code"] == "missing_field");
  CHECK(frame["number"] == 102);
  CHECK(frame["ref"] == "r");
  CHECK_FALSE(frame.contains("retry_after"));
}

TEST_CASE("retry_after appears only on retryable errors", "[protocol][client]")
{
  CHECK(json::parse(error_frame(error_code::rate_limited, {}, std::nullopt, 0.5))["retry_after"] == 0.5);
  CHECK_FALSE(json::parse(error_frame(error_code::bad_frame, {}, std::nullopt, 0.5)).contains("retry_after"));
}

TEST_CASE("hello names the user, the chat and the heartbeat", "[protocol][client]")
{
  auto const chat = json::parse(hello_frame({7, 42, "c1", 30}));
  CHECK(chat == json{{"type", "hello"}, {"v", 1}, {"user_id", 7}, {"chat_id", 42}, {"connection", "c1"}, {"heartbeat", 30.0}});
  CHECK(json::parse(hello_frame({7, std::nullopt, "c1", 30}))["chat_id"].is_null());
}

TEST_CASE("a frame nesting deeper than the limit is a bad frame", "[protocol][client]")
{
  std::string const deep = R"({"type":"zz","ref":"r","x":)" + std::string(40, '[') + std::string(40, ']') + "}";
  auto const refused = parse_client_frame(deep, 32);
  CHECK_FALSE(refused.frame);
  CHECK(refused.error == error_code::bad_frame);
  CHECK(refused.detail == "the frame nests deeper than 32 levels");
  CHECK(parse_client_frame(deep, 41).frame);
}

TEST_CASE("a resync hint names its chat only when it is about one chat", "[protocol][client]")
{
  CHECK(json::parse(resync_frame("peer_lost")) == json{{"type", "resync"}, {"reason", "peer_lost"}});
  CHECK(json::parse(resync_frame("chat_joined", 42)) ==
        json{{"type", "resync"}, {"reason", "chat_joined"}, {"chat", 42}});
}

TEST_CASE("a membership frame tells the client it left or joined a chat", "[protocol][client]")
{
  CHECK(json::parse(membership_frame(42, false)) == json{{"type", "membership"}, {"chat", 42}, {"member", false}});
  CHECK(json::parse(membership_frame(7, true)) == json{{"type", "membership"}, {"chat", 7}, {"member", true}});
}
