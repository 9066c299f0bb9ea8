// RESP: commands encode binary-safe, replies parse incrementally, garbage is detected.
#include "layer/resp_reader.hpp"
#include "layer/resp_value.hpp"

#include <catch2/catch.hpp>

using namespace tandem::layer;

TEST_CASE("a command is an array of binary-safe bulk strings", "[layer][resp]")
{
  std::string out;
  append_command(out, {"ZADD", "k", std::string{"a\0\r\nb", 5}});
  static constexpr char expected[] = "*3\r\n$4\r\nZADD\r\n$1\r\nk\r\n$5\r\na\0\r\nb\r\n";
  CHECK(out == std::string{expected, sizeof expected - 1});
}

TEST_CASE("replies split across reads come out whole and in order", "[layer][resp]")
{
  resp_reader reader;
  std::string const wire = ":42\r\n$5\r\nhel\r\n\r\n*2\r\n$1\r\na\r\n$-1\r\n+OK\r\n-NOSCRIPT gone\r\n";
  for (char c : wire) reader.feed({&c, 1});
  auto const n = reader.next();
  REQUIRE(n);
  CHECK(n->type == resp_value::kind::integer);
  CHECK(n->integer == 42);
  auto const s = reader.next();
  CHECK(s->str == "hel\r\n");
  auto const a = reader.next();
  REQUIRE(a->elements.size() == 2);
  CHECK(a->elements[0].str == "a");
  CHECK(a->elements[1].is_nil());
  CHECK(reader.next()->type == resp_value::kind::status);
  auto const e = reader.next();
  CHECK(e->is_error());
  CHECK(e->str == "NOSCRIPT gone");
  CHECK_FALSE(reader.next().has_value());
  CHECK_FALSE(reader.failed());
}

TEST_CASE("bytes that are not RESP mark the reader failed", "[layer][resp]")
{
  resp_reader reader;
  reader.feed("?what\r\n");
  CHECK_FALSE(reader.next().has_value());
  CHECK(reader.failed());
}

// Found by tests/fuzz/fuzz_resp_reader: hiredis 0.14 (no maxelements) callocs one pointer per
// declared element before any element arrives, so "*888888880\r\n" from a broken or hostile
// peer took gigabytes. The reader now refuses an array header above its limit.
TEST_CASE("an array header above the element limit fails the reader without allocating", "[layer][resp]")
{
  resp_reader reader;
  reader.feed("*888888880\r\n:1\r\n");
  CHECK_FALSE(reader.next().has_value());
  REQUIRE(reader.failed());
  CHECK(reader.error().find("888888880") != std::string::npos);
}

TEST_CASE("arrays up to the element limit are read, one more fails", "[layer][resp]")
{
  resp_reader at_limit{3};
  at_limit.feed("*3\r\n:1\r\n*3\r\n+a\r\n+b\r\n+c\r\n$-1\r\n");
  auto const value = at_limit.next();
  REQUIRE(value);
  CHECK(value->elements.size() == 3);
  CHECK(value->elements[1].elements.size() == 3);
  CHECK_FALSE(at_limit.failed());

  resp_reader nested_over{3};
  nested_over.feed("*2\r\n:1\r\n*4\r\n");
  CHECK_FALSE(nested_over.next().has_value());
  CHECK(nested_over.failed());
}
