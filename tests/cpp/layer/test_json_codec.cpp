// JSON text equals Python's json.dumps for every JSON-safe golden value, and decoding it
// restores the value (ints as ints, floats as floats, key order kept).
#include "layer/json_codec.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <stdexcept>

#include "layer/golden_values.hpp"

using namespace tandem::layer;
using tandem::test::bytes_from_hex;
using tandem::test::golden;
using tandem::test::same_message;
using tandem::test::value_from_recipe;

namespace {

bool
has_nan_or_inf(message const& m)
{
  if (m.is_number_float()) return !std::isfinite(m.get<double>());
  if (!m.is_structured()) return false;
  for (auto const& item : m) {
    if (has_nan_or_inf(item)) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("encoding writes exactly the text Python's json.dumps writes", "[layer][json]")
{
  int checked = 0;
  for (auto const& c : golden()["codec"]) {
    if (!c.contains("json")) continue;
    CAPTURE(c["name"].get<std::string>());
    CHECK(tandem::test::matches_output(encode_json(value_from_recipe(c["value"])), c["json"]));
    ++checked;
  }
  CHECK(checked > 60);
}

TEST_CASE("decoding Python's JSON gives back the value with its types", "[layer][json]")
{
  for (auto const& c : golden()["codec"]) {
    if (!c.contains("json")) continue;
    CAPTURE(c["name"].get<std::string>());
    auto const expected = value_from_recipe(c["value"]);
    if (has_nan_or_inf(expected)) continue;  // Python's NaN/Infinity extension is not read back
    auto const text = tandem::test::has_full_bytes(c["json"]) ? bytes_from_hex(c["json"]["hex"].get<std::string>())
                                                              : encode_json(expected);
    auto const result = decode_json(text);
    REQUIRE(result.value.has_value());
    CHECK(same_message(*result.value, expected));
  }
}

TEST_CASE("floats are written as Python's repr writes them", "[layer][json]")
{
  CHECK(encode_json(message(0.0)) == "0.0");
  CHECK(encode_json(message(-0.0)) == "-0.0");
  CHECK(encode_json(message(1e15)) == "1000000000000000.0");
  CHECK(encode_json(message(1e16)) == "1e+16");
  CHECK(encode_json(message(0.0001)) == "0.0001");
  CHECK(encode_json(message(0.00001)) == "1e-05");
  CHECK(encode_json(message(0.1 + 0.2)) == "0.30000000000000004");
  CHECK(encode_json(message(std::nan(""))) == "NaN");
  CHECK(encode_json(message(-HUGE_VAL)) == "-Infinity");
}

TEST_CASE("bytes and broken strings cannot be encoded as JSON", "[layer][json]")
{
  CHECK_THROWS_AS(encode_json(message{{"data", message::binary({1})}}), std::invalid_argument);
  CHECK_THROWS_AS(encode_json(message("\xC3")), std::invalid_argument);
  CHECK_THROWS_AS(encode_json(message("\xED\xA0\x80")), std::invalid_argument);  // a surrogate
  CHECK_THROWS_AS(encode_json(message(message::value_t::discarded)), std::invalid_argument);
}

TEST_CASE("malformed or too deeply nested JSON is refused with an error", "[layer][json]")
{
  for (std::string const text : {"", "{", "[1,]", "{\"a\" 1}", "nul", "\"\xFF\"", "1 2", "NaN"}) {
    CAPTURE(text);
    auto const r = decode_json(text);
    CHECK_FALSE(r.value.has_value());
    CHECK_FALSE(r.error.empty());
  }
  CHECK(decode_json(std::string(max_message_depth, '[') + std::string(max_message_depth, ']')).value.has_value());
  auto const deeper = std::string(max_message_depth + 1, '[') + std::string(max_message_depth + 1, ']');
  CHECK_FALSE(decode_json(deeper).value.has_value());
  CHECK_FALSE(decode_json(std::string(200000, '[')).value.has_value());
}

TEST_CASE("a repeated JSON key keeps its first position and its last value", "[layer][json]")
{
  auto const r = decode_json(R"({"a": 1, "b": 2, "a": 3})");
  REQUIRE(r.value);
  CHECK(encode_json(*r.value) == R"({"a": 3, "b": 2})");
}

TEST_CASE("random text never makes the JSON decoder throw", "[layer][json]")
{
  std::mt19937 rng{7};
  std::string const alphabet = "{}[]\",:0123456789.eE+-tfnul \\/\x80\xC3\xA9";
  std::uniform_int_distribution<std::size_t> pick{0, alphabet.size() - 1};
  for (int k = 0; k < 2000; ++k) {
    std::string text(static_cast<std::size_t>(k % 40), '\0');
    for (char& c : text) c = alphabet[pick(rng)];
    CHECK_NOTHROW(decode_json(text));
  }
}
