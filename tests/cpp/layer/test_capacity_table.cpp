// Capacities agree with Channels' get_capacity: globs, "re:" regexes, first match, default.
#include "layer/capacity_table.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>

#include "layer/golden_values.hpp"

using tandem::layer::capacity_table;

TEST_CASE("capacities agree with Channels for every golden channel", "[layer][capacity]")
{
  auto const& g = tandem::test::golden()["capacity"];
  capacity_table const table{g["default"].get<std::size_t>(),
                             g["patterns"].get<std::vector<std::pair<std::string, std::size_t>>>()};
  for (auto const& c : g["cases"]) {
    auto const channel = c["channel"].get<std::string>();
    CAPTURE(channel);
    CHECK(table.capacity_for(channel) == c["capacity"].get<std::size_t>());
  }
}

TEST_CASE("the first matching pattern wins", "[layer][capacity]")
{
  capacity_table const table{100, {{"chat.*", 1}, {"chat.room", 2}, {"*", 3}}};
  CHECK(table.capacity_for("chat.room") == 1u);
  CHECK(table.capacity_for("other") == 3u);
}

TEST_CASE("a channel no pattern matches gets the default", "[layer][capacity]")
{
  CHECK(capacity_table{100, {}}.capacity_for("anything") == 100u);
  CHECK(capacity_table{7, {{"http.*", 1}}}.capacity_for("websocket.send") == 7u);
}

TEST_CASE("a regex matches from the start of the name, as Python's re.match does", "[layer][capacity]")
{
  capacity_table const table{100, {{"re:chat-[0-9]+", 3}, {"re:^exact$", 4}}};
  CHECK(table.capacity_for("chat-12") == 3u);
  CHECK(table.capacity_for("chat-12x") == 3u);
  CHECK(table.capacity_for("xchat-12") == 100u);
  CHECK(table.capacity_for("exact") == 4u);
  CHECK(table.capacity_for("exactly") == 100u);
}

TEST_CASE("a negated bracket excludes its characters", "[layer][capacity]")
{
  capacity_table const table{100, {{"[!x]*", 5}}};
  CHECK(table.capacity_for("abc") == 5u);
  CHECK(table.capacity_for("xyz") == 100u);
}

TEST_CASE("a regex that does not compile is refused at construction", "[layer][capacity]")
{
  CHECK_THROWS_AS((capacity_table{100, {{"re:(unclosed", 1}}}), std::invalid_argument);
}
