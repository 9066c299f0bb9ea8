// Presence and typing keys under Redis Cluster's slot rules: every script is given keys of one
// slot, and never names a key it was not given (a cluster node refuses both).
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "service/adapters/presence_keys.hpp"
#include "service/adapters/presence_scripts.hpp"

namespace keys = tandem::service::keys;
namespace scripts = tandem::service::scripts;

namespace {

// CRC16-CCITT (XMODEM), the checksum of the Redis Cluster specification.
std::uint16_t
crc16(std::string_view data)
{
  std::uint16_t crc = 0;
  for (unsigned char const byte : data) {
    crc = static_cast<std::uint16_t>(crc ^ (byte << 8));
    for (int bit = 0; bit < 8; ++bit)
      crc = static_cast<std::uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
  }
  return crc;
}

// The slot as a cluster node computes it (its own hash-tag rule, written out again here rather
// than calling keys::routing_tag, so a mistake there cannot hide).
int
slot(std::string_view key)
{
  auto const open = key.find('{');
  if (open != std::string_view::npos) {
    auto const close = key.find('}', open + 1);
    if (close != std::string_view::npos && close != open + 1) key = key.substr(open + 1, close - open - 1);
  }
  return crc16(key) % 16384;
}

}  // namespace

TEST_CASE("the slot function agrees with the cluster specification's examples")
{
  CHECK(crc16("123456789") == 0x31C3);
  CHECK(slot("{user1000}.following") == slot("{user1000}.followers"));
  CHECK(slot("foo{}{bar}") == crc16("foo{}{bar}") % 16384);  // an empty first tag: the whole key counts
  CHECK(slot("foo{{bar}}zap") == slot("{bar"));
  CHECK(slot("foo{bar}{zap}") == slot("bar"));
}

TEST_CASE("routing_tag is the text Redis Cluster hashes")
{
  CHECK(keys::routing_tag("asgitandem:presence:{user:42}:online") == "user:42");
  CHECK(keys::routing_tag("no tag at all") == "no tag at all");
  CHECK(keys::routing_tag("a{}b{c}") == "a{}b{c}");
  CHECK(keys::routing_tag("foo{bar}{zap}") == "bar");
  CHECK(keys::routing_tag("open{only") == "open{only");
}

TEST_CASE("the keys each presence script is given share one slot, and routing follows the slot")
{
  std::vector<std::string> const prefixes{"asgi", "site:", "x{y}"};  // a prefix with a tag of its own
  for (auto const& prefix : prefixes) {
    for (std::int64_t const user : {1LL, 42LL, 9'007'199'254'740'993LL}) {
      // connect, disconnect, settle, leave, restore: {user}:sockets with {user}:online
      auto const sockets = keys::user_sockets(prefix, user);
      auto const online = keys::user_online(prefix, user);
      INFO(sockets << " " << online);
      if (prefix.find('{') == std::string::npos) {
        CHECK(slot(sockets) == slot(online));
        CHECK(keys::routing_tag(sockets) == keys::routing_tag(online));
      }
    }
  }
  // The prefix comes first, so a layer prefix with its own tag would put everything on one
  // slot: still correct (one slot), just not spread. The default prefix spreads users.
  std::vector<int> slots;
  for (std::int64_t user = 1; user <= 64; ++user) slots.push_back(slot(keys::user_sockets("asgi", user)));
  std::sort(slots.begin(), slots.end());
  CHECK(std::unique(slots.begin(), slots.end()) - slots.begin() > 50);
  // Users on different slots are on different tags, which the layer routes to shards by.
  CHECK(keys::routing_tag(keys::user_sockets("asgi", 1)) != keys::routing_tag(keys::user_sockets("asgi", 2)));
  CHECK(keys::routing_tag(keys::typing("asgi", 7)) == "chat:7");
  CHECK(keys::routing_tag(keys::lease_users("asgi", "ab12")) == "lease:ab12");
  CHECK(keys::routing_tag(keys::lease_registry("asgi")) == "leases");
}

TEST_CASE("presence scripts touch only the keys they are given")
{
  std::array<std::string_view, 10> const all{scripts::live_count, scripts::connect,      scripts::disconnect,  scripts::settle,
                                            scripts::leave,        scripts::restore,     scripts::heartbeat,
                                            scripts::claim_dead,   scripts::finish_claim, scripts::reset_lease_users};
  // Every redis.call names its key as KEYS[n] or as the helper's `key` parameter (which every
  // caller passes KEYS[1]); a key built inside Lua could be on any slot.
  std::regex const call{R"(redis\.call\('([A-Z]+)',\s*([^,)]+))"};
  int scripts_seen = 0;
  for (auto const source : all) {
    std::string const text{source};
    int calls = 0;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), call); it != std::sregex_iterator(); ++it) {
      ++calls;
      std::string const key = (*it)[2];
      INFO((*it)[0].str());
      CHECK((key.starts_with("KEYS[") || key == "key"));
    }
    CHECK(calls > 0);
    // The helper is only ever called on KEYS[1].
    std::regex const helper_use{R"(total\(([^)]+)\))"};
    for (auto it = std::sregex_iterator(text.begin(), text.end(), helper_use); it != std::sregex_iterator(); ++it) {
      std::string const arg = (*it)[1];
      if (arg == "key") continue;  // the definition
      CHECK(arg == "KEYS[1]");
    }
    ++scripts_seen;
  }
  CHECK(scripts_seen == 10);
}
