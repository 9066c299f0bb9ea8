// Presence wording, from the fixture shared with the Python tests.
#include "core/last_seen_text.hpp"

#include <catch2/catch.hpp>

#include "fixtures.hpp"

using namespace tandem::core;

TEST_CASE("last seen wording matches the shared fixtures", "[core][presence]")
{
  auto const fixture = tandem::test::load_fixture("core/last_seen_text.json");
  for (auto const& c : fixture["cases"]) {
    SECTION(c["name"].get<std::string>())
    {
      std::optional<unix_ms> const last_seen =
          c["last_seen"].is_null() ? std::nullopt : std::optional<unix_ms>{c["last_seen"].get<unix_ms>()};
      CHECK(last_seen_text(c["online"].get<bool>(), last_seen, c["now"].get<unix_ms>(),
                           c["utc_offset_minutes"].get<int>()) == c["text"].get<std::string>());
    }
  }
}
