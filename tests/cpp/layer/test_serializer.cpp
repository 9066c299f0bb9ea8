// Stored members equal channels_redis's serialize() output (prefix, IV and clock fixed on both
// sides), and deserialize reads Python's members back, refusing stale or foreign ones.
#include "layer/serializer.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <deque>
#include <random>

#include "layer/golden_values.hpp"

using namespace tandem::layer;
using tandem::test::bytes_from_hex;
using tandem::test::same_message;
using tandem::test::value_from_recipe;

namespace {

// Hands out the given byte strings in order, one per call, as Python drew them.
random_fill
scripted_random(std::deque<std::string> draws)
{
  auto shared = std::make_shared<std::deque<std::string>>(std::move(draws));
  return [shared](unsigned char* out, std::size_t n) {
    REQUIRE_FALSE(shared->empty());
    REQUIRE(shared->front().size() == n);
    std::memcpy(out, shared->front().data(), n);
    shared->pop_front();
  };
}

random_fill
counting_random()
{
  auto counter = std::make_shared<unsigned char>(0);
  return [counter](unsigned char* out, std::size_t n) {
    for (std::size_t k = 0; k < n; ++k) out[k] = (*counter)++;
  };
}

serializer_config
config_of(nlohmann::json const& c)
{
  serializer_config config;
  config.format = c["format"] == "json" ? serializer_format::json : serializer_format::msgpack;
  config.symmetric_encryption_keys = c["keys"].get<std::vector<std::string>>();
  return config;
}

}  // namespace

TEST_CASE("serialize writes the member channels_redis writes", "[layer][serializer]")
{
  auto const& cases = tandem::test::golden()["serializer"];
  REQUIRE(cases.size() == 18u);
  for (auto const& c : cases) {
    CAPTURE(c["name"].get<std::string>(), c["format"].get<std::string>(), c["keys"].size());
    auto const config = config_of(c);
    std::deque<std::string> draws;
    if (!config.symmetric_encryption_keys.empty()) draws.push_back(bytes_from_hex(c["iv_hex"].get<std::string>()));
    draws.push_back(bytes_from_hex(c["prefix_hex"].get<std::string>()));
    serializer const s{config, scripted_random(draws)};
    auto const stored = s.serialize(value_from_recipe(c["message"]), c["now"].get<std::int64_t>());
    CHECK(tandem::test::matches_output(stored, c["stored"]));
  }
}

TEST_CASE("deserialize reads channels_redis's members back", "[layer][serializer]")
{
  for (auto const& c : tandem::test::golden()["serializer"]) {
    CAPTURE(c["name"].get<std::string>(), c["format"].get<std::string>(), c["keys"].size());
    REQUIRE(tandem::test::has_full_bytes(c["stored"]));
    serializer const s{config_of(c), counting_random()};
    auto const stored = bytes_from_hex(c["stored"]["hex"].get<std::string>());
    auto const now = c["now"].get<std::int64_t>();
    auto const result = s.deserialize(stored, now + 5);
    REQUIRE(result.value.has_value());
    CHECK(same_message(*result.value, value_from_recipe(c["message"])));
    if (!c["keys"].empty()) {
      CHECK(s.deserialize(stored, now + 70).value.has_value());        // ttl is expiry + 10
      CHECK_FALSE(s.deserialize(stored, now + 71).value.has_value());  // and no more
      // Except to read who an expired message was for (they are told they missed it).
      CHECK(s.deserialize(stored, now + 3600, true).value.has_value());
    }
  }
}

TEST_CASE("a message round-trips through every configuration", "[layer][serializer]")
{
  message const m = {{"type", "chat.message"}, {"n", 3}, {"f", 0.5}, {"bytes", message::binary({0, 255})}};
  for (auto const format : {serializer_format::msgpack, serializer_format::json}) {
    for (std::vector<std::string> const& keys : {std::vector<std::string>{}, std::vector<std::string>{"a", "b"}}) {
      for (std::size_t prefix : {std::size_t{0}, std::size_t{12}, std::size_t{20}}) {
        serializer const s{{format, keys, prefix, 60}, counting_random()};
        message sent = m;
        if (format == serializer_format::json) sent.erase("bytes");
        auto const stored = s.serialize(sent, 1000);
        auto const back = s.deserialize(stored, 1000);
        REQUIRE(back.value);
        CHECK(same_message(*back.value, sent));
      }
    }
  }
}

TEST_CASE("two serializations of one message differ by their random prefix", "[layer][serializer]")
{
  serializer const s{{}, counting_random()};
  message const m = {{"type", "x"}};
  auto const a = s.serialize(m, 1);
  auto const b = s.serialize(m, 1);
  CHECK(a != b);
  CHECK(a.substr(12) == b.substr(12));
}

TEST_CASE("members from another key, short members and garbage are refused without throwing", "[layer][serializer]")
{
  serializer const writer{{serializer_format::msgpack, {"right"}, 12, 60}, counting_random()};
  serializer const reader{{serializer_format::msgpack, {"wrong"}, 12, 60}, counting_random()};
  auto const stored = writer.serialize(message{{"type", "x"}}, 100);
  CHECK_FALSE(reader.deserialize(stored, 100).value);
  CHECK_FALSE(writer.deserialize(stored.substr(0, 12), 100).value);
  CHECK_FALSE(writer.deserialize("", 100).value);
  serializer const plain{{}, counting_random()};
  CHECK_FALSE(plain.deserialize("short", 100).value);
  std::mt19937 rng{99};
  std::uniform_int_distribution<int> byte{0, 255};
  for (int k = 0; k < 500; ++k) {
    std::string bytes(static_cast<std::size_t>(k % 150), '\0');
    for (char& c : bytes) c = static_cast<char>(byte(rng));
    CHECK_NOTHROW(writer.deserialize(bytes, 100));
    CHECK_NOTHROW(plain.deserialize(bytes, 100));
  }
  for (std::size_t cut = 0; cut < stored.size(); ++cut) CHECK_FALSE(writer.deserialize(stored.substr(0, cut), 100).value);
}

TEST_CASE("a message the format cannot carry is refused when serializing", "[layer][serializer]")
{
  serializer const s{{serializer_format::json, {}, 12, 60}, counting_random()};
  CHECK_THROWS_AS(s.serialize(message{{"data", message::binary({1})}}, 1), std::invalid_argument);
}
