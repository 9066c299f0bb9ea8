// The messaging frames match the shared fixture byte for byte (the Django app's tandem.events
// is held to the same file), so sidecar and Django frames cannot drift apart.
#include "protocol/chat_frames.hpp"

#include <catch2/catch.hpp>

#include "fixtures.hpp"

using namespace tandem::protocol;
using tandem::core::receipt_kind;
using tandem::core::receipt_marker;

namespace {

message_record
record_of(nlohmann::json const& m)
{
  return {m["id"], m["chat"], m["seq"], m["sender"], m["client_id"], m["body"], m["created_at"]};
}

receipt_kind
kind_of(std::string const& name)
{
  return name == "read" ? receipt_kind::read : receipt_kind::delivered;
}

}  // namespace

TEST_CASE("messaging frames and events match the shared fixture", "[protocol][chat]")
{
  auto const fixture = tandem::test::load_fixture("protocol/chat_frames.json");
  auto const message = record_of(fixture["message"]);
  receipt_marker const view{fixture["view"]["delivered_upto"], fixture["view"]["read_upto"]};
  std::vector<message_record> const messages{message};

  CHECK(ack_frame(message, false) == fixture["ack"].get<std::string>());
  // Events travel as maps, where order carries no meaning: compared as unordered JSON.
  auto const unordered = [](ordered_json const& event) { return nlohmann::json::parse(event.dump()); };
  CHECK(unordered(chat_message_event(message)) == fixture["chat_message_event"]);

  auto const& status = fixture["chat_status_event"];
  CHECK(unordered(chat_status_event(status["args"]["chat"], kind_of(status["args"]["kind"]), status["args"]["upto"],
                                    status["args"]["at"])) == status["expect"]);
  auto const& receipt = fixture["chat_receipt_event"];
  CHECK(unordered(chat_receipt_event(receipt["args"]["chat"], receipt["args"]["user"], kind_of(receipt["args"]["kind"]),
                                     receipt["args"]["upto"], receipt["args"]["at"])) == receipt["expect"]);

  auto const& lost = fixture["chat_publish_lost_event"];
  CHECK(unordered(chat_publish_lost_event(lost["args"]["chat"])) == lost["expect"]);

  auto const& sync = fixture["sync"]["args"];
  sync_page const page{sync["chat"], sync["after"], sync["last_seq"], sync["more"], sync["reload"], std::nullopt};
  CHECK(sync_frame(page, messages, sync["viewer"], view) == fixture["sync"]["expect"].get<std::string>());

  auto const& history = fixture["history"]["args"];
  CHECK(history_frame({history["chat"], std::nullopt, history["has_more"], std::nullopt}, messages, history["viewer"], view) ==
        fixture["history"]["expect"].get<std::string>());
}

TEST_CASE("a viewer's own messages carry the status the others' markers give", "[protocol][chat]")
{
  message_record const m{1, 42, 5, 3, "c", "b", 0};
  receipt_marker const view{5, 4};
  CHECK(message_object(m, 3, &view)["status"] == "delivered");
  CHECK_FALSE(message_object(m, 4, &view).contains("status"));  // someone else's message
}

TEST_CASE("history and sync answers echo the request's ref, last", "[protocol][chat]")
{
  receipt_marker const view{0, 0};
  auto const sync = nlohmann::json::parse(sync_frame({9, 0, 0, false, false, "r-3"}, {}, 1, view));
  CHECK(sync["ref"] == "r-3");
  auto const history = nlohmann::json::parse(history_frame({9, std::nullopt, false, "r-4"}, {}, 1, view));
  CHECK(history["ref"] == "r-4");
  CHECK_FALSE(nlohmann::json::parse(history_frame({9, std::nullopt, false, std::nullopt}, {}, 1, view)).contains("ref"));
}
