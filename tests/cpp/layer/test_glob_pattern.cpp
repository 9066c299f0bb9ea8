// Globs behave as fnmatch.translate's regexes: whole-string, with Python's bracket rules.
#include "layer/glob_pattern.hpp"

#include <catch2/catch.hpp>

using tandem::layer::glob_pattern;

TEST_CASE("star and question mark match runs and single characters", "[layer][glob]")
{
  CHECK(glob_pattern{"websocket.*"}.matches("websocket.send"));
  CHECK(glob_pattern{"websocket.*"}.matches("websocket."));
  CHECK_FALSE(glob_pattern{"websocket.*"}.matches("websocket"));
  CHECK(glob_pattern{"*"}.matches(""));
  CHECK(glob_pattern{"a*b*c"}.matches("aXXbYYbc"));
  CHECK_FALSE(glob_pattern{"a*b*c"}.matches("aXXbYYb"));
  CHECK(glob_pattern{"q?ueue"}.matches("qxueue"));
  CHECK_FALSE(glob_pattern{"q?ueue"}.matches("queue"));
}

TEST_CASE("a glob must match the whole name", "[layer][glob]")
{
  CHECK(glob_pattern{"http.request"}.matches("http.request"));
  CHECK_FALSE(glob_pattern{"http.request"}.matches("http.requests"));
  CHECK_FALSE(glob_pattern{"http.request"}.matches("xhttp.request"));
  CHECK_FALSE(glob_pattern{"http.request"}.matches("httpxrequest"));  // '.' is literal
}

TEST_CASE("brackets follow Python's rules", "[layer][glob]")
{
  CHECK(glob_pattern{"[a-c]at"}.matches("bat"));
  CHECK_FALSE(glob_pattern{"[a-c]at"}.matches("dat"));
  CHECK(glob_pattern{"[!a-m]oom"}.matches("zoom"));
  CHECK_FALSE(glob_pattern{"[!a-m]oom"}.matches("boom"));
  CHECK(glob_pattern{"[]x]y"}.matches("]y"));
  CHECK(glob_pattern{"[!]]y"}.matches("ay"));
  CHECK_FALSE(glob_pattern{"[!]]y"}.matches("]y"));
  CHECK_FALSE(glob_pattern{"[z-a]q"}.matches("aq"));  // reversed range: never matches
  CHECK(glob_pattern{"[!z-a]r"}.matches("qr"));       // negated empty set: any character
  CHECK(glob_pattern{"[a-]x"}.matches("-x"));
  CHECK(glob_pattern{"[abc"}.matches("[abc"));         // unclosed: literal
  CHECK(glob_pattern{"[\\]"}.matches("\\"));
  CHECK(glob_pattern{"[a-c-e]"}.matches("-"));
  CHECK(glob_pattern{"[a-c-e]"}.matches("e"));
  CHECK_FALSE(glob_pattern{"[a-c-e]"}.matches("d"));
}

TEST_CASE("a long name against many stars finishes quickly", "[layer][glob]")
{
  glob_pattern const p{"*a*a*a*a*a*a*a*b"};
  CHECK_FALSE(p.matches(std::string(5000, 'a')));
}
