// Names and keys agree with Channels and channels_redis, except the documented ASCII-only rule.
#include "layer/names.hpp"

#include <catch2/catch.hpp>

#include "layer/golden_values.hpp"

using namespace tandem::layer;

namespace {

// Python's \w and \d accept non-ASCII after '!', and '$' accepts a trailing "\n"; Tandem does not.
bool
python_only(std::string const& name)
{
  bool non_ascii = false;
  for (unsigned char const c : name) non_ascii = non_ascii || c >= 0x80;
  return non_ascii || (!name.empty() && name.back() == '\n');
}

}  // namespace

TEST_CASE("channel and group names are judged as Channels judges them", "[layer][names]")
{
  for (auto const& c : tandem::test::golden()["names"]) {
    auto const name = c["name"].get<std::string>();
    CAPTURE(name);
    if (python_only(name)) {
      CHECK_FALSE(valid_channel_name(name));
      CHECK_FALSE(valid_group_name(name));
      continue;
    }
    CHECK(valid_channel_name(name) == c["valid_channel"].get<bool>());
    CHECK(valid_group_name(name) == c["valid_group"].get<bool>());
  }
}

TEST_CASE("non-ASCII local parts and a trailing newline are refused although Python accepts them", "[layer][names]")
{
  CHECK_FALSE(valid_channel_name("specific.abc!\xC3\xA9"));
  CHECK_FALSE(valid_channel_name("abc\n"));
  CHECK_FALSE(valid_group_name("abc\n"));
}

TEST_CASE("keys and non-local names match channels_redis", "[layer][names]")
{
  for (auto const& c : tandem::test::golden()["names"]) {
    auto const name = c["name"].get<std::string>();
    CAPTURE(name);
    CHECK(non_local_name(name) == c["non_local_name"].get<std::string>());
    CHECK(channel_key("asgi", name) == c["channel_key"].get<std::string>());
    CHECK(group_key("asgi", name) == c["group_key"].get<std::string>());
    CHECK(is_specific(name) == (name.find('!') != std::string::npos));
  }
}

TEST_CASE("a new channel name is kind, client prefix, bang and local part", "[layer][names]")
{
  auto const name = new_channel_name("0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210");
  CHECK(name == "specific.0123456789abcdef0123456789abcdef!fedcba9876543210fedcba9876543210");
  CHECK(name.size() == 74u);
  CHECK(valid_channel_name(name));
  CHECK(non_local_name(name) == "specific.0123456789abcdef0123456789abcdef!");
  CHECK(new_channel_name("p", "x", "tandem") == "tandem.p!x");
}

TEST_CASE("names of 99 characters pass and of 100 fail", "[layer][names]")
{
  CHECK(valid_channel_name(std::string(99, 'x')));
  CHECK_FALSE(valid_channel_name(std::string(100, 'x')));
  CHECK(valid_group_name(std::string(99, 'x')));
  CHECK_FALSE(valid_group_name(std::string(100, 'x')));
}
