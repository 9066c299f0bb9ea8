// overflow_queue: the held-back group messages of one process queue keep rising scores, so the
// reader (ZPOPMIN) pops them in send order, and none jumps ahead of what is already in Redis.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "layer/overflow_queue.hpp"

using tandem::layer::overflow_queue;
using tandem::layer::waiting_message;

namespace {

std::vector<double>
scores_of(overflow_queue& q, std::string const& key)
{
  std::vector<double> out;
  for (auto const& m : q.find(key)->messages) out.push_back(m.score);
  return out;
}

bool
strictly_rising(std::vector<double> const& s)
{
  for (std::size_t i = 1; i < s.size(); ++i)
    if (!(s[i - 1] < s[i])) return false;
  return true;
}

}  // namespace

TEST_CASE("a message put back in front keeps its own score; the later ones behind it move up", "[overflow_queue]")
{
  // Redis holds C (score 11, written directly) in the full queue. B (score 10: its group_send
  // started first, but its member lookup came back later) queued behind A's write, which then
  // came back "full". Lowering A below B would also put it below C, a message of the same
  // group sent before A: the reader would pop A before C.
  overflow_queue q{100};
  q.open("q", 0);
  REQUIRE(q.push_back("q", waiting_message{"B", "100", 10.0}));
  q.push_front("q", waiting_message{"A", "100", 12.0});
  auto const s = scores_of(q, "q");
  REQUIRE(s.size() == 2);
  CHECK(q.find("q")->messages.front().payload == "A");
  CHECK(s[0] == 12.0);  // not below C's 11
  CHECK(strictly_rising(s));
}

TEST_CASE("a message put back in front that ties the next one still comes first", "[overflow_queue]")
{
  overflow_queue q{100};
  q.open("q", 0);
  REQUIRE(q.push_back("q", waiting_message{"B", "100", 10.0}));
  REQUIRE(q.push_back("q", waiting_message{"C", "100", 10.0}));  // same clock tick: raised above B
  q.push_front("q", waiting_message{"A", "100", 10.0});
  auto const s = scores_of(q, "q");
  REQUIRE(s.size() == 3);
  CHECK(s[0] == 10.0);
  CHECK(strictly_rising(s));
  CHECK(q.size() == 3);
}

TEST_CASE("messages pushed behind keep rising scores and drop_older_than cuts only a prefix", "[overflow_queue]")
{
  overflow_queue q{2};
  q.open("q", 0);
  REQUIRE(q.push_back("q", waiting_message{"A", "100", 5.0}));
  REQUIRE(q.push_back("q", waiting_message{"B", "100", 4.0}));  // a clock set back
  CHECK_FALSE(q.push_back("q", waiting_message{"C", "100", 6.0}));  // over the limit
  CHECK(strictly_rising(scores_of(q, "q")));
  CHECK(q.drop_older_than("q", 5.0) == 0);
  CHECK(q.drop_older_than("q", 5.5) == 2);
  CHECK(q.empty());
}
