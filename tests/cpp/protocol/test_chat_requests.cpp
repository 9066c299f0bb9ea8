// Messaging client frames decode into typed requests, or an error naming the first bad field.
#include "protocol/chat_requests.hpp"

#include <catch2/catch.hpp>

using namespace tandem::protocol;
using tandem::core::error_code;
using json = nlohmann::json;

namespace {

request_parse
parse(json const& frame, std::optional<std::int64_t> socket_chat = 42)
{
  return parse_chat_request(frame, socket_chat, {}, {});
}

}  // namespace

TEST_CASE("a send on a chat socket takes the socket's chat", "[protocol][chat]")
{
  auto const p = parse({{"type", "send"}, {"client_id", "c-1"}, {"body", "hi"}});
  REQUIRE(p.request);
  auto const& send = std::get<send_request>(*p.request);
  CHECK(send.chat == 42);
  CHECK(send.client_id == "c-1");
  CHECK(send.body == "hi");
}

TEST_CASE("a chat socket refuses frames about another chat", "[protocol][chat]")
{
  auto const p = parse({{"type", "read"}, {"chat", 7}, {"upto", 3}});
  REQUIRE_FALSE(p.request);
  CHECK(p.error.code == error_code::forbidden);
}

TEST_CASE("a notifications socket must name the chat", "[protocol][chat]")
{
  auto const p = parse({{"type", "sync"}, {"after", 3}}, std::nullopt);
  REQUIRE_FALSE(p.request);
  CHECK(p.error == tandem::core::field_error{error_code::missing_field, "chat"});
  auto const ok = parse({{"type", "sync"}, {"chat", 9}, {"after", 3}}, std::nullopt);
  REQUIRE(ok.request);
  CHECK(std::get<sync_request>(*ok.request).chat == 9);
}

TEST_CASE("bad fields are named in frame order", "[protocol][chat]")
{
  using tandem::core::field_error;
  CHECK(parse({{"type", "send"}, {"body", "hi"}}).error == field_error{error_code::missing_field, "client_id"});
  CHECK(parse({{"type", "send"}, {"client_id", "c"}, {"body", 5}}).error == field_error{error_code::invalid_field, "body"});
  CHECK(parse({{"type", "send"}, {"client_id", "c"}, {"body", " "}}).error == field_error{error_code::body_empty, "body"});
  CHECK(parse({{"type", "read"}, {"upto", 0}}).error == field_error{error_code::message_id_invalid, "upto"});
  CHECK(parse({{"type", "read"}, {"upto", 2.5}}).error == field_error{error_code::message_id_invalid, "upto"});
  CHECK(parse({{"type", "delivered"}}).error == field_error{error_code::missing_field, "upto"});
  CHECK(parse({{"type", "sync"}, {"after", -1}}).error == field_error{error_code::message_id_invalid, "after"});
  CHECK(parse({{"type", "history"}, {"limit", 101}}).error == field_error{error_code::invalid_field, "limit"});
  CHECK(parse({{"type", "send"}, {"chat", "42"}, {"client_id", "c"}, {"body", "x"}}).error ==
        field_error{error_code::chat_id_invalid, "chat"});
}

TEST_CASE("history pages default to 50 on open and 20 before a cursor", "[protocol][chat]")
{
  auto const first = parse({{"type", "history"}});
  CHECK(std::get<history_request>(*first.request).limit == 50);
  CHECK_FALSE(std::get<history_request>(*first.request).before);
  auto const older = parse({{"type", "history"}, {"before", 80}});
  CHECK(std::get<history_request>(*older.request).limit == 20);
  CHECK(std::get<history_request>(*older.request).before == 80);
}

TEST_CASE("receipt frames carry their kind", "[protocol][chat]")
{
  auto const read = parse({{"type", "read"}, {"upto", 9}});
  CHECK(std::get<receipt_request>(*read.request).kind == tandem::core::receipt_kind::read);
  auto const delivered = parse({{"type", "delivered"}, {"upto", 9}});
  CHECK(std::get<receipt_request>(*delivered.request).kind == tandem::core::receipt_kind::delivered);
}

TEST_CASE("history, sync and receipts keep the frame's ref to echo it", "[protocol][chat]")
{
  CHECK(std::get<history_request>(*parse({{"type", "history"}, {"ref", "r7"}}).request).ref == "r7");
  CHECK(std::get<sync_request>(*parse({{"type", "sync"}, {"after", 3}, {"ref", 12}}).request).ref == "12");
  CHECK(std::get<receipt_request>(*parse({{"type", "read"}, {"upto", 9}, {"ref", "r9"}}).request).ref == "r9");
  CHECK_FALSE(std::get<history_request>(*parse({{"type", "history"}}).request).ref);
}
