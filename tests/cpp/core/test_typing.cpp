// Typing rules: rate-limited starts, stops, server expiry and the batched wording.
#include "core/typing.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "fixtures.hpp"

using namespace tandem::core;

TEST_CASE("the first keystroke forwards start", "[core][typing]")
{
  auto const step = on_typing_start({}, 1000, {});
  CHECK(step.forward == typing_signal::start);
  CHECK(step.state.typing);
}

TEST_CASE("a second start within the interval is not forwarded", "[core][typing]")
{
  typing_policy const policy;
  auto const first = on_typing_start({}, 1000, policy);
  CHECK(on_typing_start(first.state, 2999, policy).forward == typing_signal::none);
  CHECK(on_typing_start(first.state, 3000, policy).forward == typing_signal::start);
}

TEST_CASE("a keystroke flood forwards at most one start per interval", "[core][typing][property]")
{
  typing_policy const policy;
  std::mt19937 rng{3};
  std::uniform_int_distribution<unix_ms> gap{0, 250};
  typist_state state;
  unix_ms now = 0;
  std::vector<unix_ms> forwarded;
  while (now < 60'000) {
    auto const step = on_typing_start(state, now, policy);
    if (step.forward == typing_signal::start) forwarded.push_back(now);
    state = step.state;
    now += gap(rng);
  }
  REQUIRE(forwarded.size() >= 2);
  for (std::size_t i = 1; i < forwarded.size(); ++i) REQUIRE(forwarded[i] - forwarded[i - 1] >= policy.start_interval_ms);
  CHECK(static_cast<unix_ms>(forwarded.size()) <= 60'000 / policy.start_interval_ms + 1);
}

TEST_CASE("stop is forwarded only when the others were told start", "[core][typing]")
{
  CHECK(on_typing_stop({}, 10).forward == typing_signal::none);
  auto const typing = on_typing_start({}, 10, {}).state;
  auto const stopped = on_typing_stop(typing, 20);
  CHECK(stopped.forward == typing_signal::stop);
  CHECK_FALSE(stopped.state.typing);
  CHECK(on_typing_stop(stopped.state, 30).forward == typing_signal::none);
}

TEST_CASE("sending a message stops typing", "[core][typing]")
{
  auto const typing = on_typing_start({}, 10, {}).state;
  CHECK(on_message_sent(typing, 500).forward == typing_signal::stop);
}

TEST_CASE("a typist who goes silent expires on the server", "[core][typing]")
{
  typing_policy const policy;
  auto const typing = on_typing_start({}, 1000, policy).state;
  CHECK(on_expiry_check(typing, 1000 + policy.server_expiry_ms - 1, policy).forward == typing_signal::none);
  auto const expired = on_expiry_check(typing, 1000 + policy.server_expiry_ms, policy);
  CHECK(expired.forward == typing_signal::stop);
  CHECK(on_expiry_check(expired.state, 99'999, policy).forward == typing_signal::none);
}

TEST_CASE("the client stops one second after the last keystroke", "[core][typing]")
{
  CHECK_FALSE(client_should_stop(1000, 1999, {}));
  CHECK(client_should_stop(1000, 2000, {}));
}

TEST_CASE("several typists are worded in one line", "[core][typing]")
{
  auto const fixture = tandem::test::load_fixture("core/typing_text.json");
  for (auto const& c : fixture["cases"]) {
    auto const names = c["names"].get<std::vector<std::string>>();
    CHECK(typing_text(names) == c["text"].get<std::string>());
  }
}
