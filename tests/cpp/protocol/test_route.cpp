// Which endpoint a request target names, and which targets are refused.
#include "protocol/route.hpp"

#include <catch2/catch.hpp>

using namespace tandem::protocol;

TEST_CASE("a chat path names its chat", "[protocol][route]")
{
  auto const r = parse_route("/ws/chat/42/");
  CHECK(r.kind == endpoint::chat);
  CHECK(r.chat_id == 42);
  CHECK(r.error.empty());
}

TEST_CASE("the notifications and admin paths are recognised", "[protocol][route]")
{
  CHECK(parse_route("/ws/notifications/").kind == endpoint::notifications);
  CHECK(parse_route("/healthz").kind == endpoint::healthz);
  CHECK(parse_route("/readyz?x=1").kind == endpoint::readyz);
  CHECK(parse_route("/metrics").kind == endpoint::metrics);
  CHECK(parse_route("/ws/echo/").kind == endpoint::echo);  // test-only, served when configured
  CHECK(parse_route("/ws/shootout/").kind == endpoint::shootout);  // bench-only, served when configured
}

TEST_CASE("a chat id must be a canonical positive integer", "[protocol][route]")
{
  for (auto const* target : {"/ws/chat/0/", "/ws/chat/-1/", "/ws/chat/007/", "/ws/chat/abc/", "/ws/chat/1e3/",
                             "/ws/chat/99999999999999999999/", "/ws/chat/9223372036854775808/"}) {
    INFO(target);
    auto const r = parse_route(target);
    CHECK(r.kind == endpoint::chat);
    CHECK_FALSE(r.error.empty());
  }
}

TEST_CASE("other paths are not found", "[protocol][route]")
{
  for (auto const* target : {"/", "/ws/chat/", "/ws/chat/42", "/ws/chat/42/x/", "/ws/notifications", "/admin/"}) {
    INFO(target);
    CHECK(parse_route(target).kind == endpoint::not_found);
  }
}

TEST_CASE("only protocol version 1 is accepted", "[protocol][route]")
{
  CHECK(parse_route("/ws/chat/5/?v=1").error.empty());
  CHECK(parse_route("/ws/chat/5/?a=b&v=1").error.empty());
  CHECK_FALSE(parse_route("/ws/chat/5/?v=2").error.empty());
  CHECK_FALSE(parse_route("/ws/notifications/?v=").error.empty());
}

TEST_CASE("a 19-digit chat id that fits in int64 is a chat", "[protocol][route]")
{
  auto const r = parse_route("/ws/chat/9223372036854775807/");
  CHECK(r.error.empty());
  CHECK(r.chat_id == 9223372036854775807);
  CHECK(parse_route("/ws/chat/1000000000000000000/").error.empty());
}
