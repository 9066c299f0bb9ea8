// The tick state machine: fixture cases shared with Python, and generated event sequences.
#include "core/tick.hpp"

#include <catch2/catch.hpp>

#include <random>

#include "fixtures.hpp"

using namespace tandem::core;

namespace {

tick_event
event_from_name(std::string const& name)
{
  if (name == "acked") return tick_event::acked;
  if (name == "delivered") return tick_event::delivered;
  if (name == "read") return tick_event::read;
  if (name == "failed") return tick_event::failed;
  if (name == "retried") return tick_event::retried;
  throw std::invalid_argument{"unknown event " + name};
}

std::optional<unix_ms>
optional_ms(nlohmann::json const& v)
{
  return v.is_null() ? std::nullopt : std::optional<unix_ms>{v.get<unix_ms>()};
}

}  // namespace

TEST_CASE("tick fixtures give the expected status and change flags", "[core][tick]")
{
  auto const fixture = tandem::test::load_fixture("core/ticks.json");
  for (auto const& c : fixture["cases"]) {
    SECTION(c["name"].get<std::string>())
    {
      message_status status;
      std::size_t i = 0;
      for (auto const& e : c["events"]) {
        auto const t = advance(status, event_from_name(e[0]), e[1].get<unix_ms>());
        CHECK(t.changed == c["changed"][i++].get<bool>());
        status = t.status;
      }
      auto const& want = c["expect"];
      CHECK(tick_name(status.state) == want["state"].get<std::string>());
      CHECK(status.sent_at == optional_ms(want["sent_at"]));
      CHECK(status.delivered_at == optional_ms(want["delivered_at"]));
      CHECK(status.read_at == optional_ms(want["read_at"]));
      CHECK(status.failed_at == optional_ms(want["failed_at"]));
    }
  }
}

TEST_CASE("the server rank never decreases and stamps never change under any event sequence",
          "[core][tick][property]")
{
  std::mt19937 rng{20261122};
  std::uniform_int_distribution<int> pick_event{0, 4};
  std::uniform_int_distribution<unix_ms> pick_time{0, 1'000'000};
  for (int run = 0; run < 500; ++run) {
    message_status status;
    for (int step = 0; step < 12; ++step) {
      auto const t = advance(status, static_cast<tick_event>(pick_event(rng)), pick_time(rng));
      REQUIRE(server_rank(t.status.state) >= server_rank(status.state));
      if (status.sent_at) REQUIRE(t.status.sent_at == status.sent_at);
      if (status.delivered_at) REQUIRE(t.status.delivered_at == status.delivered_at);
      if (status.read_at) REQUIRE(t.status.read_at == status.read_at);
      REQUIRE(t.changed == (t.status != status));
      status = t.status;
    }
  }
}

TEST_CASE("applying the same event twice changes nothing the second time", "[core][tick][property]")
{
  for (int e = 0; e <= 2; ++e) {
    auto const first = advance(message_status{}, static_cast<tick_event>(e), 10);
    auto const second = advance(first.status, static_cast<tick_event>(e), 20);
    CHECK_FALSE(second.changed);
    CHECK(second.status == first.status);
  }
}

TEST_CASE("tick names round-trip and unknown names are refused", "[core][tick]")
{
  for (auto t : {tick::pending, tick::sent, tick::delivered, tick::read, tick::failed})
    CHECK(tick_from_name(tick_name(t)) == t);
  CHECK_FALSE(tick_from_name("seen").has_value());
}
