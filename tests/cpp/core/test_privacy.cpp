// Privacy: presence visibility with reciprocity, and read receipts in 1:1 chats and groups.
#include "core/privacy.hpp"

#include <catch2/catch.hpp>

using namespace tandem::core;

TEST_CASE("presence shown to everyone reaches any viewer who shows theirs", "[core][privacy]")
{
  CHECK(may_see_presence(visibility::everyone, visibility::everyone, false, false));
  CHECK(may_see_presence(visibility::everyone, visibility::contacts, false, false));
}

TEST_CASE("presence for contacts only reaches contacts", "[core][privacy]")
{
  CHECK(may_see_presence(visibility::contacts, visibility::everyone, true, false));
  CHECK_FALSE(may_see_presence(visibility::contacts, visibility::everyone, false, false));
}

TEST_CASE("who hides their presence sees no one's, but always their own", "[core][privacy]")
{
  CHECK_FALSE(may_see_presence(visibility::everyone, visibility::nobody, true, false));
  CHECK_FALSE(may_see_presence(visibility::nobody, visibility::everyone, true, false));
  CHECK(may_see_presence(visibility::nobody, visibility::nobody, false, true));
}

TEST_CASE("read receipts in 1:1 chats need both people, groups always send them", "[core][privacy]")
{
  CHECK(read_receipts_shown(false, true, true));
  CHECK_FALSE(read_receipts_shown(false, true, false));
  CHECK_FALSE(read_receipts_shown(false, false, true));
  CHECK(read_receipts_shown(true, false, false));
}

TEST_CASE("visibility names round-trip", "[core][privacy]")
{
  for (auto v : {visibility::everyone, visibility::contacts, visibility::nobody})
    CHECK(visibility_from_name(visibility_name(v)) == v);
  CHECK_FALSE(visibility_from_name("friends"));
}

TEST_CASE("a stored visibility this build does not know hides the user", "[core][privacy]")
{
  CHECK(visibility_from_number(0) == visibility::everyone);
  CHECK(visibility_from_number(1) == visibility::contacts);
  CHECK(visibility_from_number(2) == visibility::nobody);
  CHECK(visibility_from_number(3) == visibility::nobody);   // a newer app's value
  CHECK(visibility_from_number(-1) == visibility::nobody);  // written by hand
}
