// msgpack bytes equal Python's msgpack.packb for every golden value, decode restores the value
// with its types, and no input whatsoever makes the decoder throw or crash.
#include "layer/msgpack_codec.hpp"

#include <catch2/catch.hpp>

#include <limits>
#include <random>
#include <stdexcept>

#include "layer/golden_values.hpp"

using namespace tandem::layer;
using tandem::test::bytes_from_hex;
using tandem::test::golden;
using tandem::test::same_message;
using tandem::test::value_from_recipe;

TEST_CASE("encoding writes exactly the bytes Python's packb writes", "[layer][msgpack]")
{
  auto const& cases = golden()["codec"];
  REQUIRE(cases.size() > 80);
  for (auto const& c : cases) {
    CAPTURE(c["name"].get<std::string>());
    CHECK(tandem::test::matches_output(encode_msgpack(value_from_recipe(c["value"])), c["msgpack"]));
  }
}

TEST_CASE("decoding Python's bytes gives back the value with its types", "[layer][msgpack]")
{
  for (auto const& c : golden()["codec"]) {
    CAPTURE(c["name"].get<std::string>());
    auto const expected = value_from_recipe(c["value"]);
    // Large outputs are stored as a digest; the encoding test proves our bytes are Python's.
    auto const bytes = tandem::test::has_full_bytes(c["msgpack"]) ? bytes_from_hex(c["msgpack"]["hex"].get<std::string>())
                                                                  : encode_msgpack(expected);
    auto const result = decode_msgpack(bytes);
    REQUIRE(result.value.has_value());
    CHECK(result.error.empty());
    CHECK(same_message(*result.value, expected));
  }
}

TEST_CASE("the worked example of the protocol notes is reproduced", "[layer][msgpack]")
{
  auto const& ex = golden()["worked_example"];
  auto chat = value_from_recipe(ex["message"]);
  CHECK(encode_msgpack(chat) == bytes_from_hex(ex["body_hex"].get<std::string>()));
  CHECK(encode_msgpack(chat).size() == 27u);
  auto with_channel = chat;
  with_channel[std::string{asgi_channel_key}] = ex["channel"].get<std::string>();
  CHECK(encode_msgpack(with_channel) == bytes_from_hex(ex["with_channel_hex"].get<std::string>()));
  CHECK(encode_msgpack(with_channel).size() == 120u);
  auto with_list = chat;
  with_list[std::string{asgi_channel_key}] = message::array({ex["channel"].get<std::string>()});
  CHECK(encode_msgpack(with_list).size() == 121u);
  CHECK(encode_msgpack(with_list) == bytes_from_hex(ex["with_channel_list_hex"].get<std::string>()));
}

TEST_CASE("values Python could not read back are refused when encoding", "[layer][msgpack]")
{
  CHECK_THROWS_AS(encode_msgpack(message(message::value_t::discarded)), std::invalid_argument);
  CHECK_THROWS_AS(encode_msgpack(message{{"k", message(message::value_t::discarded)}}), std::invalid_argument);
  CHECK_THROWS_AS(encode_msgpack(message("bad \xFF utf-8")), std::invalid_argument);
  CHECK_THROWS_AS(encode_msgpack(message::binary({1, 2}, 7)), std::invalid_argument);
  message deep = 1;
  for (std::size_t k = 0; k < max_message_depth + 1; ++k) deep = message::array({deep});
  CHECK_THROWS_AS(encode_msgpack(deep), std::invalid_argument);
}

TEST_CASE("nesting up to the depth limit round-trips and one more level is refused", "[layer][msgpack]")
{
  message deep = 1;
  for (std::size_t k = 0; k < max_message_depth; ++k) deep = message::array({deep});
  auto const bytes = encode_msgpack(deep);
  CHECK(decode_msgpack(bytes).value.has_value());
  auto const too_deep = std::string(1, '\x91') + bytes;
  CHECK_FALSE(decode_msgpack(too_deep).value.has_value());
  CHECK_FALSE(decode_msgpack(std::string(100000, '\x91') + '\x01').value.has_value());
}

TEST_CASE("malformed msgpack is refused with an error", "[layer][msgpack]")
{
  auto const refused = [](std::string const& bytes) {
    auto const r = decode_msgpack(bytes);
    return !r.value && !r.error.empty();
  };
  CHECK(refused(""));
  CHECK(refused(std::string("\xa2h", 2)));                     // truncated str
  CHECK(refused(std::string("\x01\x02", 2)));                  // trailing byte
  CHECK(refused(std::string("\xa1\xff", 2)));                  // str that is not UTF-8
  CHECK(refused(std::string("\x81\x01\x02", 3)));              // int map key
  CHECK(refused(std::string("\x81\xc4\x01k\x02", 5)));         // bytes map key
  CHECK(refused(std::string("\xd4\x01\x00", 3)));              // fixext 1
  CHECK(refused(std::string("\xc7\x00\xff", 3)));              // ext 8, timestamp type
  CHECK(refused(std::string("\xc1", 1)));                      // never-used byte
  CHECK(refused(std::string("\xdd\xff\xff\xff\xff", 5)));      // array32 claiming 4G items
  CHECK(refused(std::string("\xdf\xff\xff\xff\xff", 5)));      // map32 claiming 4G pairs
  CHECK(refused(std::string("\xdb\xff\xff\xff\xff", 5)));      // str32 claiming 4 GB
}

TEST_CASE("big unsigned ints decode as unsigned and the rest as signed", "[layer][msgpack]")
{
  auto const big = decode_msgpack(std::string("\xcf\xff\xff\xff\xff\xff\xff\xff\xff", 9));
  REQUIRE(big.value);
  CHECK(big.value->is_number_unsigned());
  CHECK(big.value->get<std::uint64_t>() == std::numeric_limits<std::uint64_t>::max());
  auto const small = decode_msgpack(std::string("\xcc\xff", 2));
  REQUIRE(small.value);
  CHECK(small.value->is_number_integer());
  CHECK_FALSE(small.value->is_number_unsigned());
  auto const f32 = decode_msgpack(std::string("\xca\x3f\xc0\x00\x00", 5));  // float32 1.5
  REQUIRE(f32.value);
  CHECK(f32.value->is_number_float());
  CHECK(f32.value->get<double>() == 1.5);
}

TEST_CASE("a repeated map key keeps its first position and its last value", "[layer][msgpack]")
{
  auto const r = decode_msgpack(std::string("\x83\xa1" "a\x01\xa1" "b\x02\xa1" "a\x03", 10));
  REQUIRE(r.value);
  CHECK(r.value->dump() == R"({"a":3,"b":2})");
}

TEST_CASE("random bytes and every truncation never make the decoder throw", "[layer][msgpack]")
{
  std::mt19937 rng{20240601};
  std::uniform_int_distribution<int> byte{0, 255};
  std::uniform_int_distribution<std::size_t> length{0, 64};
  for (int k = 0; k < 2000; ++k) {
    std::string bytes(length(rng), '\0');
    for (char& c : bytes) c = static_cast<char>(byte(rng));
    // Bias half of them towards container and str headers, where the interesting paths are.
    if (k % 2 == 0 && !bytes.empty()) bytes[0] = static_cast<char>(0x80 + byte(rng) % 0x60);
    CHECK_NOTHROW(decode_msgpack(bytes));
  }
  auto const& ex = golden()["worked_example"];
  auto const valid = bytes_from_hex(ex["with_channel_list_hex"].get<std::string>());
  for (std::size_t cut = 0; cut < valid.size(); ++cut) {
    auto const r = decode_msgpack(std::string_view{valid}.substr(0, cut));
    CHECK_FALSE(r.value.has_value());
    CHECK_FALSE(r.error.empty());
  }
  CHECK(decode_msgpack(valid).value.has_value());
}
