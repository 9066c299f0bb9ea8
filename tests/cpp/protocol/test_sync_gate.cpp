// The sync gate: live messages of a syncing chat wait, and only those the sync did not cover
// go out afterwards, in seq order.
#include "protocol/sync_gate.hpp"

#include <catch2/catch.hpp>

using tandem::protocol::sync_gate;
using list = std::vector<std::string>;

TEST_CASE("a chat that is not syncing passes live messages through", "[protocol][sync]")
{
  sync_gate gate;
  CHECK(gate.admit(1, 5, "m5"));
}

TEST_CASE("live messages during a sync are held and released past what it covered", "[protocol][sync]")
{
  sync_gate gate;
  gate.begin(1);
  CHECK_FALSE(gate.admit(1, 12, "m12"));
  CHECK_FALSE(gate.admit(1, 10, "m10"));  // covered by the sync: a duplicate
  CHECK_FALSE(gate.admit(1, 11, "m11"));
  CHECK(gate.admit(2, 3, "other chat"));
  CHECK(gate.end(1, 10) == list{"m11", "m12"});
  CHECK(gate.admit(1, 13, "m13"));
}

TEST_CASE("a failed sync releases everything it held", "[protocol][sync]")
{
  sync_gate gate;
  gate.begin(1);
  CHECK_FALSE(gate.admit(1, 4, "m4"));
  CHECK(gate.end(1, std::nullopt) == list{"m4"});
}

TEST_CASE("overlapping syncs of one chat release once, after the last", "[protocol][sync]")
{
  sync_gate gate;
  gate.begin(1);
  gate.begin(1);
  CHECK_FALSE(gate.admit(1, 8, "m8"));
  CHECK(gate.end(1, 5).empty());
  CHECK(gate.syncing(1));
  CHECK(gate.end(1, 7) == list{"m8"});
  CHECK_FALSE(gate.syncing(1));
}

TEST_CASE("a full pen lets frames through rather than lose them", "[protocol][sync]")
{
  sync_gate gate{2};
  gate.begin(1);
  CHECK_FALSE(gate.admit(1, 1, "a"));
  CHECK_FALSE(gate.admit(1, 2, "b"));
  CHECK(gate.admit(1, 3, "c"));
}
