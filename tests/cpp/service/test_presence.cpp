// The presence use case against in-memory fakes: a socket counts only once the store counted
// it, offline follows the grace period, and the store's losses are rebuilt from this worker's
// counts.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>

#include "fakes/fake_message_bus.hpp"
#include "fakes/fake_presence_records.hpp"
#include "fakes/fake_presence_store.hpp"
#include "fakes/manual_clock.hpp"
#include "run_coroutine.hpp"
#include "protocol/presence_frames.hpp"
#include "service/presence.hpp"

using namespace tandem;
using fakes::fault;
using nlohmann::json;
using testing::run_coroutine;
using testing::run_until;

namespace {

constexpr std::int64_t ann = 1, bo = 2, cy = 3, dead_user = 5;
constexpr std::int64_t direct_chat = 10, group_chat = 11;

service::presence_settings
fast_settings()
{
  service::presence_settings s;
  s.heartbeat = std::chrono::milliseconds{40};
  s.lease_ttl = std::chrono::milliseconds{60'000};  // wall time only moves when the test says so
  s.grace = std::chrono::milliseconds{30};
  return s;
}

struct presence_world {
  asio::io_context ctx;
  fakes::manual_clock clock;
  fakes::fake_presence_store counts;
  fakes::fake_presence_records records;
  fakes::fake_message_bus bus;
  service::presence_settings settings = fast_settings();
  service::messaging_settings groups;
  ops::thread_metrics metrics;
  service::presence presence{ctx.get_executor(), counts, records, bus, clock, settings, groups, metrics};

  presence_world()
  {
    records.share_chat(ann, bo, direct_chat, true);   // bo is ann's contact
    records.share_chat(ann, cy, group_chat, false);   // cy only shares a group with her
  }
  ~presence_world() { presence.stop(); }

  service::connect_outcome connect(std::int64_t user, std::optional<std::int64_t> chat = std::nullopt)
  {
    auto out = run_coroutine(ctx, presence.connected(user, chat, 0));
    // The announcement goes on in the background: let it finish, as the cases below expect.
    REQUIRE(run_until(ctx, [this] { return presence.announcements_under_way() == 0; }));
    return out;
  }
  /// The presence events about `user` that a /ws/notifications/ socket of `viewer` shows: sent
  /// to the viewer's user group, or to the group of a chat of theirs if the viewer's own setting
  /// allows it (the socket's own check, protocol::presence_event_shown_to).
  std::vector<json> updates(std::int64_t viewer, std::int64_t user) const
  {
    std::vector<json> out;
    auto const about_user = [&](service::bus_event const& event) {
      return (event["type"] == "presence.update" || event["type"] == "presence.members") && event["user"] == user &&
             protocol::presence_event_shown_to(event, viewer, records.visibility_of(viewer));
    };
    for (auto const& event : bus.sent_to("user_" + std::to_string(viewer)))
      if (about_user(event)) out.push_back(event);
    for (auto const chat : records.chats_of(viewer))
      for (auto const& event : bus.sent_to("chat_" + std::to_string(chat)))
        if (about_user(event)) out.push_back(event);
    return out;
  }
};

/// Moves wall and monotonic time on by one lease lifetime in quarters, letting the heartbeat
/// renew this worker's lease in between (one jump would make the own lease look run out).
void
pass_one_lease_lifetime(presence_world& w)
{
  for (int quarter = 0; quarter < 4; ++quarter) {
    w.clock.advance(w.settings.lease_ttl / 4);
    testing::run_for(w.ctx, 3 * w.settings.heartbeat);
  }
}

}  // namespace

TEST_CASE("a user's first socket is announced online to those who may see it, a second socket is not", "[presence]")
{
  presence_world w;
  w.records.set_visibility(ann, core::visibility::contacts);
  auto const first = w.connect(ann);
  CHECK(first.counted);
  REQUIRE(w.updates(bo, ann).size() == 1);
  CHECK(w.updates(bo, ann)[0]["online"] == true);
  CHECK(w.updates(cy, ann).empty());  // not a contact, and ann shows presence to contacts only
  auto const second = w.connect(ann);
  CHECK(second.counted);
  CHECK(w.updates(bo, ann).size() == 1);
  CHECK(w.presence.local_counts().at(ann) == 2);
  REQUIRE(w.records.row(ann));
  CHECK(w.records.row(ann)->connections == 2);
}

TEST_CASE("a socket the presence store refused is counted at the next heartbeat, and its close takes its own count only",
          "[presence][defect4]")
{
  // Left uncounted, the socket showed its user offline to everyone for its whole life (a refusal
  // is -OOM, -READONLY or -LOADING during a failover: passing, not final).
  presence_world w;
  // ann has a tab on another process.
  w.counts.other_process("B", fakes::manual_clock::start + 60'000, ann, 1);
  w.counts.faults.fail_next(fault::refused);  // -OOM on this socket's connect script
  auto const refused = w.connect(ann);
  CHECK(refused.counted);
  CHECK_FALSE(refused.frame);
  CHECK(w.presence.local_counts().at(ann) == 1);
  CHECK(w.counts.count_on_self(ann) == 0);
  w.presence.start();
  REQUIRE(run_until(w.ctx, [&] { return w.counts.count_on_self(ann) == 1; }));
  CHECK(w.counts.live(ann, w.clock.wall_ms()) == 2);
  // Its close takes its own count down and leaves the other tab's: nobody is told ann went
  // offline.
  w.presence.disconnected(ann);
  REQUIRE(run_until(w.ctx, [&] { return w.records.row(ann) && w.records.row(ann)->connections == 1; }));
  testing::run_for(w.ctx, 3 * w.settings.grace);
  CHECK(w.counts.is_online(ann));
  CHECK(w.counts.count_on_self(ann) == 0);
  for (auto const& update : w.updates(bo, ann)) CHECK(update["online"] == true);
}

TEST_CASE("a close the presence store refused is put right at the next heartbeat: the user goes offline",
          "[presence][faults]")
{
  // The refused disconnect left the socket counted in the store: its user was shown online for
  // good (no later close, sweep or restore would take the count down).
  presence_world w;
  w.connect(ann);
  auto const calls = w.counts.faults.calls();
  w.counts.faults.fail_next(fault::refused);  // -OOM on the close's disconnect script
  w.presence.disconnected(ann);
  REQUIRE(run_until(w.ctx, [&] { return w.counts.faults.calls() > calls; }));
  w.presence.start();
  REQUIRE(run_until(w.ctx, [&] { return w.updates(bo, ann).size() == 2; }));
  CHECK(w.updates(bo, ann)[1]["online"] == false);
  CHECK_FALSE(w.counts.is_online(ann));
  CHECK(w.counts.count_on_self(ann) == 0);
  CHECK_FALSE(w.records.row(ann)->online);
}

TEST_CASE("a settle that failed after the grace period is tried again at the next heartbeat", "[presence][faults]")
{
  // The failed settle left the user's online mark in the store with no socket anywhere, and
  // nothing tried again: the user was shown online for good.
  presence_world w;
  w.connect(ann);
  w.clock.advance(std::chrono::minutes{5});
  auto const closed_at = w.clock.wall_ms();
  auto const calls = w.counts.faults.calls();
  w.presence.disconnected(ann);
  REQUIRE(run_until(w.ctx, [&] { return w.counts.faults.calls() == calls + 1; }));  // the disconnect
  w.counts.faults.fail_next(fault::unavailable);  // the settle, after the grace period
  REQUIRE(run_until(w.ctx, [&] { return w.counts.faults.calls() == calls + 2; }));
  testing::run_for(w.ctx, 3 * w.settings.grace);
  CHECK(w.counts.is_online(ann));
  w.clock.advance(std::chrono::minutes{1});
  w.presence.start();
  REQUIRE(run_until(w.ctx, [&] { return w.updates(bo, ann).size() == 2; }));
  CHECK(w.updates(bo, ann)[1]["online"] == false);
  CHECK(w.updates(bo, ann)[1]["last_seen"] == closed_at);  // the close's time, not the retry's
  CHECK_FALSE(w.counts.is_online(ann));
  CHECK(w.records.row(ann)->last_seen == closed_at);
}

TEST_CASE("a settle that failed is not tried again for a user who came back meanwhile", "[presence][faults]")
{
  presence_world w;
  w.connect(ann);
  auto const calls = w.counts.faults.calls();
  w.presence.disconnected(ann);
  REQUIRE(run_until(w.ctx, [&] { return w.counts.faults.calls() == calls + 1; }));
  w.counts.faults.fail_next(fault::unavailable);
  REQUIRE(run_until(w.ctx, [&] { return w.counts.faults.calls() == calls + 2; }));
  w.connect(ann);  // back before any heartbeat
  w.presence.start();
  testing::run_for(w.ctx, 6 * w.settings.heartbeat);
  CHECK(w.counts.is_online(ann));
  CHECK(w.updates(bo, ann).size() == 1);  // the first arrival only
}

TEST_CASE("an arrival whose contacts could not be read is announced at the next heartbeat", "[presence][faults]")
{
  // The announcement was dropped: ann's contacts showed her offline until her next change.
  presence_world w;
  w.records.faults.fail_next(fault::unavailable);
  w.connect(ann);
  CHECK(w.updates(bo, ann).empty());
  w.presence.start();
  REQUIRE(run_until(w.ctx, [&] { return w.updates(bo, ann).size() == 1; }));
  CHECK(w.updates(bo, ann)[0]["online"] == true);
}

TEST_CASE("an offline whose contacts could not be read is announced at the next heartbeat with its last seen",
          "[presence][faults]")
{
  presence_world w;
  w.connect(ann);
  w.clock.advance(std::chrono::minutes{5});
  auto const closed_at = w.clock.wall_ms();
  w.records.faults.fail_always(fault::unavailable);
  w.presence.disconnected(ann);
  REQUIRE(run_until(w.ctx, [&] { return !w.counts.is_online(ann) && w.presence.announcements_under_way() == 0; }));
  CHECK(w.updates(bo, ann).size() == 1);  // the arrival only
  w.records.faults.heal();
  w.presence.start();
  REQUIRE(run_until(w.ctx, [&] { return w.updates(bo, ann).size() == 2; }));
  CHECK(w.updates(bo, ann)[1]["online"] == false);
  CHECK(w.updates(bo, ann)[1]["last_seen"] == closed_at);
}

TEST_CASE("a change whose announcement failed is not announced late once a newer change was", "[presence][faults]")
{
  presence_world w;
  w.connect(ann);
  w.records.faults.fail_always(fault::unavailable);
  w.presence.disconnected(ann);
  REQUIRE(run_until(w.ctx, [&] { return !w.counts.is_online(ann) && w.presence.announcements_under_way() == 0; }));
  w.records.faults.heal();
  w.connect(ann);  // back: announced online, the lost offline is out of date
  REQUIRE(w.updates(bo, ann).size() == 2);
  w.presence.start();
  testing::run_for(w.ctx, 6 * w.settings.heartbeat);
  REQUIRE(w.updates(bo, ann).size() == 2);
  CHECK(w.updates(bo, ann)[1]["online"] == true);
}

TEST_CASE("a socket whose count is unknown (timeout) is counted, and the next heartbeat writes the counts back",
          "[presence]")
{
  presence_world w;
  w.counts.faults.fail_next(fault::unavailable);  // reset before the script ran: it did not count
  auto const outcome = w.connect(ann);
  CHECK(outcome.counted);
  CHECK(w.presence.local_counts().at(ann) == 1);
  CHECK(w.counts.count_on_self(ann) == 0);
  w.presence.start();
  REQUIRE(run_until(w.ctx, [&] { return w.counts.count_on_self(ann) == 1 && w.counts.is_online(ann); }));
  // Restored users who were not online are announced.
  REQUIRE(run_until(w.ctx, [&] { return w.updates(bo, ann).size() == 1; }));
}

TEST_CASE("closing the last socket announces offline after the grace period, with the close time as last seen",
          "[presence]")
{
  presence_world w;
  w.connect(ann);
  w.clock.advance(std::chrono::minutes{5});
  auto const closed_at = w.clock.wall_ms();
  w.presence.disconnected(ann);
  REQUIRE(run_until(w.ctx, [&] { return w.updates(bo, ann).size() == 2; }));
  auto const offline = w.updates(bo, ann)[1];
  CHECK(offline["online"] == false);
  CHECK(offline["last_seen"] == closed_at);
  auto const row = w.records.row(ann);
  REQUIRE(row);
  CHECK_FALSE(row->online);
  CHECK(row->connections == 0);
  CHECK(row->last_seen == closed_at);
  CHECK_FALSE(w.counts.is_online(ann));
}

TEST_CASE("a socket reopened within the grace period announces nothing", "[presence]")
{
  presence_world w;
  w.connect(ann);
  w.presence.disconnected(ann);
  REQUIRE(run_until(w.ctx, [&] { return w.counts.count_on_self(ann) == 0; }));
  w.connect(ann);  // a page reload
  testing::run_for(w.ctx, 4 * w.settings.grace);
  REQUIRE(w.updates(bo, ann).size() == 1);  // the first "online" only
  CHECK(w.counts.is_online(ann));
}

TEST_CASE("closing one of a user's sockets keeps them online and updates the row's count", "[presence]")
{
  presence_world w;
  w.counts.other_process("B", fakes::manual_clock::start + 60'000, ann, 1);
  w.connect(ann);
  w.presence.disconnected(ann);
  REQUIRE(run_until(w.ctx, [&] { return w.records.row(ann)->connections == 1; }));
  testing::run_for(w.ctx, 3 * w.settings.grace);
  CHECK(w.records.row(ann)->online);
  CHECK(w.updates(bo, ann).empty());  // ann was online all along (first socket elsewhere)
}

TEST_CASE("a status row write that failed is written again at the next heartbeat with the live count",
          "[presence][status_row]")
{
  // Seen in fault row 5e (PostgreSQL links cut 3 s): a close's row write failed and the row kept
  // saying two connections with one tab open until the user's next change.
  presence_world w;
  w.counts.other_process("B", fakes::manual_clock::start + 60'000, ann, 1);
  w.connect(ann);
  REQUIRE(w.records.row(ann)->connections == 2);
  w.records.write_faults.fail_next(fault::unavailable);
  w.presence.disconnected(ann);
  REQUIRE(run_until(w.ctx, [&] { return w.records.write_faults.calls() >= 2; }));
  CHECK(w.records.row(ann)->connections == 2);  // the close's write was lost
  w.presence.start();
  REQUIRE(run_until(w.ctx, [&] { return w.records.row(ann)->connections == 1; }));
  CHECK(w.records.row(ann)->online);
}

TEST_CASE("an offline row write that failed is written again at the next heartbeat, keeping its last seen",
          "[presence][status_row]")
{
  presence_world w;
  w.connect(ann);
  w.clock.advance(std::chrono::minutes{5});
  auto const closed_at = w.clock.wall_ms();
  w.records.write_faults.fail_always(fault::unavailable);
  w.presence.disconnected(ann);
  REQUIRE(run_until(w.ctx, [&] { return w.updates(bo, ann).size() == 2; }));  // announced all the same
  CHECK(w.records.row(ann)->online);  // but the row still says online
  w.records.write_faults.heal();
  w.clock.advance(std::chrono::minutes{1});
  w.presence.start();
  REQUIRE(run_until(w.ctx, [&] { return !w.records.row(ann)->online; }));
  CHECK(w.records.row(ann)->connections == 0);
  CHECK(w.records.row(ann)->last_seen == closed_at);
}

TEST_CASE("counts the store lost are rebuilt from this worker's sockets at the next heartbeat", "[presence]")
{
  presence_world w;
  w.connect(ann);
  w.connect(ann);
  w.counts.lose_everything();  // Redis restarted empty
  w.presence.start();
  REQUIRE(run_until(w.ctx, [&] { return w.counts.count_on_self(ann) == 2; }));
  CHECK(w.counts.is_online(ann));
  REQUIRE(run_until(w.ctx, [&] { return w.updates(bo, ann).size() == 2; }));  // online again, to be sure
  CHECK(w.records.row(ann)->connections == 2);
}

TEST_CASE("a dead process's lease is swept: its users go offline, others' rows count fewer sockets", "[presence]")
{
  presence_world w;
  w.records.share_chat(dead_user, bo, 12, true);
  auto const dies_at = fakes::manual_clock::start + 1000;
  w.counts.other_process("B", dies_at, dead_user, 1);
  w.counts.other_process("B", dies_at, ann, 1);
  w.connect(ann);  // ann also has a socket here
  w.clock.advance(std::chrono::seconds{2});
  w.presence.start();
  REQUIRE(run_until(w.ctx, [&] { return w.records.row(dead_user) && !w.records.row(dead_user)->online; }));
  auto const offline = w.updates(bo, dead_user);
  REQUIRE(offline.size() == 1);
  CHECK(offline[0]["online"] == false);
  CHECK(offline[0]["last_seen"] == dies_at);
  REQUIRE(run_until(w.ctx, [&] { return w.records.row(ann)->connections == 1; }));
  CHECK(w.records.row(ann)->online);
  CHECK_FALSE(w.counts.has_lease("B"));
}

TEST_CASE("sweeping a dead process's lease asks for a resync: what it acknowledged may be unpublished",
          "[presence][issue11]")
{
  // A process killed with -9 between a send's commit (acknowledged) and its publish: the
  // message is only in the database, so sockets elsewhere must sync to get it.
  presence_world w;
  int hints = 0;
  w.presence.on_lease_swept([&] { ++hints; });
  w.counts.other_process("B", fakes::manual_clock::start + 1000, ann, 1);
  w.counts.other_process("C", fakes::manual_clock::start + 1000, bo, 1);  // a second dead lease, same sweep
  w.clock.advance(std::chrono::seconds{2});
  w.presence.start();
  REQUIRE(run_until(w.ctx, [&] { return hints > 0; }));
  CHECK_FALSE(w.counts.has_lease("B"));
  testing::run_for(w.ctx, 5 * w.settings.heartbeat);
  CHECK(hints == 1);  // once per sweep that took leases, not once per lease, nor again later
}

TEST_CASE("a lease another process swept asks this worker for a resync at its next heartbeat", "[presence][issue11]")
{
  // With three processes only one sweeps a dead lease; the third's sockets need the hint too.
  presence_world w;
  int hints = 0;
  w.presence.on_lease_swept([&] { ++hints; });
  w.counts.swept_elsewhere(2);  // before this worker started: its sockets sync at hello anyway
  w.presence.start();
  REQUIRE(run_until(w.ctx, [&] { return w.counts.sweeps >= 2; }));
  CHECK(hints == 0);
  w.counts.swept_elsewhere();
  REQUIRE(run_until(w.ctx, [&] { return hints > 0; }));
  testing::run_for(w.ctx, 5 * w.settings.heartbeat);
  CHECK(hints == 1);
  w.counts.lose_everything();  // Redis restarted empty: the counter starts again, no hint for that
  testing::run_for(w.ctx, 5 * w.settings.heartbeat);
  CHECK(hints == 1);
}

TEST_CASE("a sweep that finds no dead lease asks for no resync", "[presence][issue11]")
{
  presence_world w;
  int hints = 0;
  w.presence.on_lease_swept([&] { ++hints; });
  w.counts.other_process("B", fakes::manual_clock::start + 60'000, ann, 1);  // alive
  w.connect(bo);
  w.presence.start();
  REQUIRE(run_until(w.ctx, [&] { return w.counts.sweeps >= 3; }));
  CHECK(hints == 0);
  CHECK(w.counts.has_lease("B"));
}

TEST_CASE("after the store's connection is made again no lease is swept for one lease lifetime", "[presence][issue16]")
{
  // A Sentinel failover: the promoted replica holds lease times from before the promotion, so
  // B's lease looks dead although B is alive and about to renew it on the new master.
  presence_world w;
  w.records.share_chat(ann, dead_user, 12, true);
  w.counts.other_process("B", fakes::manual_clock::start + 1000, dead_user, 1);
  w.connect(ann);
  w.clock.advance(std::chrono::seconds{2});
  w.presence.store_reconnected();
  w.presence.start();
  testing::run_for(w.ctx, 5 * w.settings.heartbeat);
  CHECK(w.counts.sweeps == 0);
  CHECK(w.counts.has_lease("B"));
  CHECK(w.counts.is_online(dead_user));
  CHECK(w.updates(ann, dead_user).empty());
  // One lease lifetime later B has not renewed: now it is dead, and swept.
  pass_one_lease_lifetime(w);
  REQUIRE(run_until(w.ctx, [&] { return !w.counts.has_lease("B"); }));
  REQUIRE(run_until(w.ctx, [&] { return w.updates(ann, dead_user).size() == 1; }));
  CHECK(w.updates(ann, dead_user)[0]["online"] == false);
}

TEST_CASE("a heartbeat that finds this worker's own lease run out holds the sweeps for one lease lifetime",
          "[presence][issue16]")
{
  // The same failover seen first by the heartbeat, before the layer reports the reconnect.
  presence_world w;
  w.counts.other_process("B", fakes::manual_clock::start + 1000, dead_user, 1);
  w.connect(ann);
  w.counts.set_lease_expiry(fakes::fake_presence_store::self, fakes::manual_clock::start + 1000);
  w.clock.advance(std::chrono::seconds{2});
  w.presence.start();
  testing::run_for(w.ctx, 5 * w.settings.heartbeat);
  CHECK(w.counts.has_lease("B"));
  CHECK(w.counts.is_online(dead_user));
  CHECK(w.counts.is_online(ann));
  pass_one_lease_lifetime(w);
  REQUIRE(run_until(w.ctx, [&] { return !w.counts.has_lease("B"); }));
  CHECK_FALSE(w.counts.is_online(dead_user));
  CHECK(w.counts.is_online(ann));  // our own lease was renewed all along
}

TEST_CASE("release at exit settles users in their grace period and drops the lease", "[presence]")
{
  presence_world w;
  w.settings.grace = std::chrono::minutes{10};  // longer than the test: release must not wait for it
  w.counts.other_process("B", w.clock.wall_ms() + 600'000, bo, 1);  // bo has a socket on another process
  w.connect(ann);
  w.connect(cy);
  w.presence.disconnected(ann);
  REQUIRE(run_until(w.ctx, [&] { return w.counts.count_on_self(ann) == 0; }));
  run_coroutine(w.ctx, w.presence.release());
  CHECK_FALSE(w.counts.has_lease(fakes::fake_presence_store::self));
  CHECK_FALSE(w.counts.is_online(ann));
  CHECK_FALSE(w.counts.is_online(cy));
  REQUIRE(w.updates(bo, ann).size() == 2);
  CHECK(w.updates(bo, ann)[1]["online"] == false);
  // ann has no socket anywhere by then (she went offline in the same drain): there is nobody to
  // tell of cy's offline, and a socket of hers opening later reads it in its snapshot.
  CHECK(w.updates(ann, cy).size() == 1);
}

TEST_CASE("a chat socket's snapshot lists the chat's members the user may see, online or not", "[presence]")
{
  presence_world w;
  w.counts.other_process("B", fakes::manual_clock::start + 60'000, bo, 1);
  w.records.share_chat(ann, 7, group_chat, false);
  w.records.set_visibility(7, core::visibility::nobody);  // hides presence from everyone
  auto const outcome = w.connect(ann, group_chat);
  REQUIRE(outcome.frame);
  auto const frame = json::parse(*outcome.frame);
  CHECK(frame["type"] == "presence");
  REQUIRE(frame["users"].size() == 1);  // cy; bo is not in the chat, 7 hides
  CHECK(frame["users"][0]["user"] == cy);
  CHECK(frame["users"][0]["online"] == false);
  auto const everyone = json::parse(*w.connect(ann).frame);
  std::size_t online = 0;
  for (auto const& entry : everyone["users"]) online += entry["online"] == true ? 1 : 0;
  CHECK(everyone["users"].size() == 2);  // bo and cy
  CHECK(online == 1);                    // bo
}

TEST_CASE("no snapshot when the store cannot say who is online, and none when contacts cannot be read",
          "[presence]")
{
  std::size_t checked = 0;
  for (auto const broken : {"online", "contacts"}) {
    presence_world w;
    if (std::string{broken} == "online") {
      w.counts.faults.fail_next(fault::none, 2);  // the connect itself and the status row's check succeed
      w.counts.faults.fail_next(fault::unavailable);
    } else {
      w.records.faults.fail_next(fault::unavailable);
    }
    auto const outcome = w.connect(ann);
    CHECK(outcome.counted);
    CHECK_FALSE(outcome.frame);
    ++checked;
  }
  CHECK(checked == 2);
}

// The status row is written by every process with the count its own store step saw, over its own
// PostgreSQL connection, so two processes' writes can land in either order. Each case lets another
// process act while this process's write is on its way, and that process's write land first.

TEST_CASE("two processes' status row writes landing in the other order leave the row at the live count",
          "[presence][status_row]")
{
  presence_world w;
  // cy's first tab opens here (this process's store step counts 1); while that row write is on
  // its way, her second tab opens on process B, which counts 2 and writes first.
  bool b_opened = false;
  w.records.before_write = [&](fakes::status_row const& row) {
    if (b_opened || row.user != cy) return;
    b_opened = true;
    w.counts.other_process("B", fakes::manual_clock::start + 60'000, cy, 1);
    w.records.writes.push_back({cy, true, 2, std::nullopt});
  };
  w.connect(cy);
  REQUIRE(b_opened);
  REQUIRE(w.counts.live(cy, w.clock.wall_ms()) == 2);
  auto const row = w.records.row(cy);
  REQUIRE(row);
  CHECK(row->online);
  CHECK(row->connections == 2);  // not this process's older 1
}

TEST_CASE("an offline row write that lands after another process's online write is put right",
          "[presence][status_row]")
{
  presence_world w;
  w.connect(ann);
  // ann's last tab here closed and the settle found her offline; while the offline write is on
  // its way, she opens a tab on process B, which counts 1 and writes (online, 1) first.
  bool b_opened = false;
  w.records.before_write = [&](fakes::status_row const& row) {
    if (b_opened || row.user != ann || row.online) return;
    b_opened = true;
    w.counts.other_process("B", fakes::manual_clock::start + 60'000, ann, 1);
    w.records.writes.push_back({ann, true, 1, std::nullopt});
  };
  w.presence.disconnected(ann);
  REQUIRE(run_until(w.ctx, [&] { return b_opened && w.records.row(ann)->online; }));
  testing::run_for(w.ctx, 4 * w.settings.grace);
  auto const row = w.records.row(ann);
  REQUIRE(row);
  CHECK(row->online);
  CHECK(row->connections == 1);
  // Nor is offline announced: B found ann fresh (the settle had taken her off the online set)
  // and announces her online; an offline told after that would be the contacts' last word.
  REQUIRE_FALSE(w.updates(bo, ann).empty());
  CHECK(w.updates(bo, ann).back()["online"] == true);
  CHECK(w.updates(bo, ann).size() == 1);
}

TEST_CASE("a swept lease's row write that lands after a newer count is put right", "[presence][status_row]")
{
  presence_world w;
  auto const dies_at = fakes::manual_clock::start + 1000;
  w.counts.other_process("B", dies_at, ann, 1);
  w.connect(ann);  // one tab here, one on B, which dies
  w.clock.advance(std::chrono::seconds{2});
  // The sweep of B's lease leaves ann 1 socket; while that write is on its way, she opens a tab
  // on process C, which counts 2 and writes first.
  bool c_opened = false;
  w.records.before_write = [&](fakes::status_row const& row) {
    if (c_opened || row.user != ann || row.connections != 1) return;
    c_opened = true;
    w.counts.other_process("C", fakes::manual_clock::start + 60'000, ann, 1);
    w.records.writes.push_back({ann, true, 2, std::nullopt});
  };
  w.presence.start();
  REQUIRE(run_until(w.ctx, [&] { return c_opened; }));
  testing::run_for(w.ctx, 4 * w.settings.heartbeat);  // the rest of that heartbeat, and more
  CHECK_FALSE(w.counts.has_lease("B"));
  REQUIRE(w.counts.live(ann, w.clock.wall_ms()) == 2);
  auto const row = w.records.row(ann);
  REQUIRE(row);
  CHECK(row->online);
  CHECK(row->connections == 2);
}

namespace {

/// `count` contacts of ann's (each shares a 1:1 chat with her, so each is told in person), from 100.
std::vector<std::int64_t>
contacts_of_ann(presence_world& w, std::int64_t count)
{
  std::vector<std::int64_t> out;
  for (std::int64_t i = 0; i < count; ++i) {
    w.records.share_chat(ann, 100 + i, 6000 + i, true);
    out.push_back(100 + i);
  }
  return out;
}

/// `count` more members of ann's group chat (who share nothing else with her), from 1000.
std::vector<std::int64_t>
group_members_of_ann(presence_world& w, std::int64_t count)
{
  std::vector<std::int64_t> out;
  for (std::int64_t i = 0; i < count; ++i) {
    w.records.share_chat(ann, 1000 + i, group_chat, false);
    out.push_back(1000 + i);
  }
  return out;
}

/// The group sends that carried presence events.
std::size_t
presence_sends(presence_world const& w)
{
  return static_cast<std::size_t>(std::count_if(w.bus.sent.begin(), w.bus.sent.end(), [](auto const& d) {
    return d.event["type"] == "presence.update" || d.event["type"] == "presence.members";
  }));
}

}  // namespace

TEST_CASE("a new socket's snapshot does not wait for its online announcement to reach its contacts",
          "[presence][issue14]")
{
  presence_world w;
  w.bus.faults.delay = std::chrono::milliseconds{300};  // a slow bus: each group send takes this long
  auto const outcome = run_coroutine(w.ctx, w.presence.connected(ann, std::nullopt, 0));
  CHECK(outcome.frame);
  CHECK(w.updates(bo, ann).empty());  // still being sent
  REQUIRE(run_until(w.ctx, [&] { return w.updates(bo, ann).size() == 1; }));
  CHECK(w.updates(bo, ann)[0]["online"] == true);
}

TEST_CASE("the group sends of one announcement are in flight together, at most announce_concurrency",
          "[presence][issue14]")
{
  presence_world w;
  w.settings.announce_concurrency = 8;
  auto const viewers = contacts_of_ann(w, 40);
  w.bus.faults.delay = std::chrono::milliseconds{20};
  w.connect(ann);
  for (auto const viewer : viewers) CHECK(w.updates(viewer, ann).size() == 1);
  CHECK(w.bus.most_sends_in_flight == 8);
}

TEST_CASE("an offline decided while the online is still being sent reaches every viewer after it",
          "[presence][issue14]")
{
  presence_world w;
  w.settings.announce_concurrency = 4;
  auto const viewers = contacts_of_ann(w, 16);
  // The online's first sends (4 of 16 at once) are slow; everything after them is fast. The
  // offline is decided after the grace period, while those first sends still wait, and would
  // reach their viewers before the online if it did not wait its turn.
  w.bus.faults.delay = std::chrono::milliseconds{300};
  auto const outcome = run_coroutine(w.ctx, w.presence.connected(ann, std::nullopt, 0));
  REQUIRE(outcome.counted);
  REQUIRE(run_until(w.ctx, [&] { return w.bus.sends_in_flight == 4; }));
  w.bus.faults.delay = std::chrono::milliseconds{0};
  w.presence.disconnected(ann);
  REQUIRE(run_until(w.ctx, [&] {
    for (auto const viewer : viewers)
      if (w.updates(viewer, ann).size() < 2) return false;
    return true;
  }));
  for (auto const viewer : viewers) {
    auto const got = w.updates(viewer, ann);
    REQUIRE(got.size() == 2);
    CHECK(got[0]["online"] == true);
    CHECK(got[1]["online"] == false);
  }
}

TEST_CASE("release at exit settles its users side by side, not one after another", "[presence][issue14]")
{
  // A drain of 10,000 sockets took 45 s because every user of the grace period was settled in
  // turn (settle, status row, live count, contacts, announcement). With each contacts lookup
  // taking 200 ms, 40 users in turn take at least 8 s; side by side well under that.
  presence_world w;
  w.settings.grace = std::chrono::minutes{10};  // they stay in their grace period until release
  w.counts.other_process("B", w.clock.wall_ms() + 600'000, ann, 1);  // the viewer, connected elsewhere
  std::vector<std::int64_t> users;
  for (std::int64_t i = 0; i < 40; ++i) {
    auto const user = 1000 + i;
    w.records.share_chat(user, ann, 5000 + i, true);
    w.connect(user);
    w.presence.disconnected(user);
    users.push_back(user);
  }
  REQUIRE(run_until(w.ctx, [&] {
    for (auto const user : users)
      if (w.counts.count_on_self(user) != 0) return false;
    return true;
  }));
  w.records.faults.delay = std::chrono::milliseconds{200};
  auto const began = std::chrono::steady_clock::now();
  run_coroutine(w.ctx, w.presence.release());
  auto const took = std::chrono::steady_clock::now() - began;
  CHECK(took < std::chrono::seconds{6});
  for (auto const user : users) {
    CHECK_FALSE(w.counts.is_online(user));
    auto const got = w.updates(ann, user);
    REQUIRE(got.size() == 2);
    CHECK(got[1]["online"] == false);
  }
}

TEST_CASE("an offline decided while the online's audience is still being looked up goes out after the online",
          "[presence][issue14]")
{
  // The turn that orders a user's announcements was taken only after the connect's round trips
  // (status row, contacts): with a saturated database pool, a socket that opened and closed had
  // its offline announced first and its online last, and contacts saw the user online for good.
  presence_world w;
  w.records.faults.delay = std::chrono::milliseconds{500};  // the connect's contacts lookup is slow
  bool connected = false;
  asio::co_spawn(w.ctx, w.presence.connected(ann, std::nullopt, 0),
                 [&](std::exception_ptr, service::connect_outcome) { connected = true; });
  REQUIRE(run_until(w.ctx, [&] { return w.counts.is_online(ann); }));
  w.records.faults.delay = std::chrono::milliseconds{0};  // everything after it is fast
  w.presence.disconnected(ann);
  REQUIRE(run_until(w.ctx, [&] { return connected && w.updates(bo, ann).size() == 2; }, std::chrono::seconds{10}));
  auto const got = w.updates(bo, ann);
  CHECK(got[0]["online"] == true);
  CHECK(got[1]["online"] == false);
}

TEST_CASE("release at exit settles a thousand users in a bounded number of store calls, not a chain per user",
          "[presence][issue14]")
{
  // A drain of 10,000 sockets took 12.6 s: each user cost its own settle, status row write, live
  // count and contacts query (4 round trips a user, 32 users side by side). Batched, each step
  // is one call per release_batch users.
  presence_world w;
  w.settings.grace = std::chrono::minutes{10};  // they stay in their grace period until release
  w.settings.release_batch = 250;
  w.counts.other_process("B", w.clock.wall_ms() + 600'000, ann, 1);  // the viewer, connected elsewhere
  constexpr std::int64_t first_user = 1000, users = 1000;
  for (std::int64_t i = 0; i < users; ++i) {
    w.records.share_chat(first_user + i, ann, 5000 + i, true);
    w.connect(first_user + i);
    w.presence.disconnected(first_user + i);
  }
  REQUIRE(run_until(w.ctx, [&] {
    for (std::int64_t i = 0; i < users; ++i)
      if (w.counts.count_on_self(first_user + i) != 0) return false;
    return true;
  }));
  auto const store_calls = [&] {
    return w.counts.faults.calls() + w.records.faults.calls() + w.records.write_faults.calls();
  };
  auto const before = store_calls();
  run_coroutine(w.ctx, w.presence.release());
  auto const calls = store_calls() - before;
  // 4 batches of settles, the lease's release, then 4 batches × (status rows, live counts,
  // viewers, which of them are online, contacts).
  CHECK(calls <= 4 + 1 + 4 * 5);
  std::map<std::int64_t, std::vector<bool>> seen_by_ann;
  for (auto const& event : w.bus.sent_to("user_" + std::to_string(ann))) {
    if (event["type"] != "presence.update") continue;
    seen_by_ann[event["user"].get<std::int64_t>()].push_back(event["online"].get<bool>());
  }
  for (std::int64_t i = 0; i < users; ++i) {
    auto const user = first_user + i;
    CHECK_FALSE(w.counts.is_online(user));
    REQUIRE(w.records.row(user));
    CHECK_FALSE(w.records.row(user)->online);
    CHECK(seen_by_ann[user] == std::vector<bool>{true, false});
  }
}

TEST_CASE("a draining worker's closes cost no store call each: the lease's release settles their users",
          "[presence][issue14]")
{
  // W7: a drain of 10,000 sockets sent one disconnect script per socket, then released the
  // lease, which counts every one of them out again.
  presence_world w;
  w.counts.other_process("B", w.clock.wall_ms() + 600'000, ann, 1);  // the viewer, connected elsewhere
  constexpr std::int64_t first_user = 1000, users = 300;
  for (std::int64_t i = 0; i < users; ++i) {
    w.records.share_chat(first_user + i, ann, 5000 + i, true);
    w.connect(first_user + i);
  }
  w.connect(first_user);  // a second socket of the first user
  constexpr std::int64_t elsewhere = 9000;  // a socket here and one on process B
  w.records.share_chat(elsewhere, ann, 9500, true);
  w.counts.other_process("B", w.clock.wall_ms() + 600'000, elsewhere, 1);
  w.connect(elsewhere);
  REQUIRE(w.records.row(elsewhere));
  REQUIRE(w.records.row(elsewhere)->connections == 2);
  auto const store_calls = [&] {
    return w.counts.faults.calls() + w.records.faults.calls() + w.records.write_faults.calls();
  };
  auto const before = store_calls();
  w.presence.leaving();
  w.presence.disconnected(first_user);
  for (std::int64_t i = 0; i < users; ++i) w.presence.disconnected(first_user + i);
  w.presence.disconnected(elsewhere);
  testing::run_for(w.ctx, 3 * w.settings.grace);
  CHECK(store_calls() == before);
  CHECK(w.counts.is_online(first_user));  // still counted until the release
  // The local counts stay what Redis holds for the lease: a restore meanwhile drops nobody.
  CHECK(w.presence.local_counts().at(first_user) == 2);
  CHECK(w.presence.local_counts().at(first_user + 1) == 1);
  run_coroutine(w.ctx, w.presence.release());
  for (std::int64_t i = 0; i < users; ++i) {
    auto const user = first_user + i;
    CHECK_FALSE(w.counts.is_online(user));
    CHECK(w.counts.count_on_self(user) == 0);
    REQUIRE(w.records.row(user));
    CHECK_FALSE(w.records.row(user)->online);
    auto const seen = w.updates(ann, user);
    REQUIRE(seen.size() == 2);
    CHECK(seen[1]["online"] == false);
  }
  // Still online on B: not announced offline, and the row counts the one socket left.
  CHECK(w.counts.is_online(elsewhere));
  CHECK(w.updates(ann, elsewhere).empty());
  REQUIRE(w.records.row(elsewhere));
  CHECK(w.records.row(elsewhere)->online);
  CHECK(w.records.row(elsewhere)->connections == 1);
}

TEST_CASE("a drain's row for a user online elsewhere follows the live count when it moves meanwhile",
          "[presence][issue14]")
{
  // Two workers of one draining process: the first releases its lease while the user's socket
  // on the second still counts, and writes the row with it; the second releases and settles
  // the user offline before that write lands. Read back, the count is 0: the row must say
  // offline, not keep the count the first worker read.
  presence_world w;
  constexpr std::int64_t dee = 9000;
  w.records.share_chat(dee, ann, 9500, true);
  w.counts.other_process("B", w.clock.wall_ms() + 600'000, dee, 1);
  w.connect(dee);
  REQUIRE(w.records.row(dee)->connections == 2);
  w.presence.leaving();
  w.presence.disconnected(dee);
  bool gone_elsewhere = false;
  w.records.before_write = [&](fakes::status_row const& row) {
    if (row.user != dee || !row.online || row.connections != 1 || gone_elsewhere) return;
    gone_elsewhere = true;
    w.counts.other_process("B", w.clock.wall_ms() + 600'000, dee, -1);
  };
  run_coroutine(w.ctx, w.presence.release());
  REQUIRE(gone_elsewhere);
  REQUIRE(w.records.row(dee));
  CHECK_FALSE(w.records.row(dee)->online);
  CHECK(w.records.row(dee)->connections == 0);
  CHECK(w.records.row(dee)->last_seen);
}

TEST_CASE("a drain's release settles its batches side by side, not one after another", "[presence][issue14]")
{
  // W7: after 10,000 sockets closed, 20 batches of round trips one after another were most of
  // what was left of the drain, with PostgreSQL and Redis idle between them.
  presence_world w;
  w.settings.release_batch = 50;
  w.settings.release_concurrency = 4;
  constexpr std::int64_t first_user = 1000, users = 200;
  for (std::int64_t i = 0; i < users; ++i) w.connect(first_user + i);
  w.presence.leaving();
  for (std::int64_t i = 0; i < users; ++i) w.presence.disconnected(first_user + i);
  w.records.write_faults.delay = std::chrono::milliseconds{50};
  auto const calls_before = w.records.write_faults.calls();
  auto const rows_before = w.records.writes.size();
  bool released = false;
  asio::co_spawn(w.ctx, w.presence.release(), [&](std::exception_ptr) { released = true; });
  // Each batch begins with its status rows: side by side, all four are being written before
  // the first has landed.
  REQUIRE(run_until(w.ctx, [&] {
    return w.records.write_faults.calls() - calls_before == 4 || w.records.writes.size() > rows_before;
  }));
  CHECK(w.records.write_faults.calls() - calls_before == 4);
  CHECK(w.records.writes.size() == rows_before);
  REQUIRE(run_until(w.ctx, [&] { return released; }, std::chrono::seconds{10}));
  for (std::int64_t i = 0; i < users; ++i) {
    REQUIRE(w.records.row(first_user + i));
    CHECK_FALSE(w.records.row(first_user + i)->online);
  }
}

TEST_CASE("a drain does not announce offline a user who opened a socket on another process meanwhile",
          "[presence][issue14]")
{
  // The batched settle decides ann offline; before her offline row lands, a socket of hers
  // opens on process B (its connect finds her fresh, announces online, writes its row). This
  // drain must then neither announce offline nor leave the offline row as the last word.
  presence_world w;
  w.settings.grace = std::chrono::minutes{10};
  w.connect(ann);
  w.connect(cy);
  w.presence.disconnected(ann);
  w.presence.disconnected(cy);
  REQUIRE(run_until(w.ctx, [&] { return w.counts.count_on_self(ann) == 0 && w.counts.count_on_self(cy) == 0; }));
  bool opened_elsewhere = false;
  w.records.before_write = [&](fakes::status_row const& row) {
    if (row.user != ann || row.online || opened_elsewhere) return;
    opened_elsewhere = true;
    w.counts.other_process("B", w.clock.wall_ms() + 60'000, ann, 1);
  };
  run_coroutine(w.ctx, w.presence.release());
  REQUIRE(opened_elsewhere);
  REQUIRE(w.updates(bo, ann).size() == 1);  // the online of her first socket only
  REQUIRE(w.records.row(ann));
  CHECK(w.records.row(ann)->online);
  CHECK(w.records.row(ann)->connections == 1);
  REQUIRE(w.updates(ann, cy).size() == 2);  // the others of the batch still go offline
  CHECK(w.updates(ann, cy)[1]["online"] == false);
}

TEST_CASE("a drain tells nobody before the process's other workers have counted their sockets out",
          "[presence][issue14]")
{
  // bo's socket is on a sibling worker ("B" here) of the same draining process: until that
  // worker has released its lease, bo looks online and would be sent ann's offline for nothing.
  presence_world w;
  w.counts.other_process("B", w.clock.wall_ms() + 600'000, bo, 1);
  w.connect(ann);
  REQUIRE(w.updates(bo, ann).size() == 1);
  bool waited = false;
  bool ann_counted_out_first = false;
  w.presence.before_telling_release([&]() -> awaitable<void> {
    waited = true;
    ann_counted_out_first = w.counts.count_on_self(ann) == 0 && w.updates(bo, ann).size() == 1;
    w.counts.other_process_released("B", w.clock.wall_ms());
    co_return;
  });
  w.presence.leaving();
  run_coroutine(w.ctx, w.presence.release());
  REQUIRE(run_until(w.ctx, [&] { return w.presence.announcements_under_way() == 0; }));
  CHECK(waited);
  CHECK(ann_counted_out_first);
  CHECK(w.updates(bo, ann).size() == 1);  // no offline sent to a viewer who was leaving too
  REQUIRE(w.records.row(ann));
  CHECK_FALSE(w.records.row(ann)->online);
}

TEST_CASE("a socket opening while its worker drains is not counted", "[presence][issue14]")
{
  presence_world w;
  w.presence.leaving();
  auto const calls = w.counts.faults.calls();
  auto const out = run_coroutine(w.ctx, w.presence.connected(ann, std::nullopt, 0));
  CHECK_FALSE(out.counted);
  CHECK_FALSE(out.frame);
  CHECK(w.counts.faults.calls() == calls);
  CHECK_FALSE(w.counts.is_online(ann));
  CHECK(w.presence.local_counts().empty());
}

TEST_CASE("an announcement that throws half way does not hold back the user's next one", "[presence][turns]")
{
  // The turn that orders a user's announcements is taken when offline is decided; the contacts
  // lookup after it throws. Left in the line, the turn stalled every later change of the user.
  presence_world w;
  w.connect(ann);
  bool thrown = false;
  w.records.on_contacts_lookup = [&](std::vector<std::int64_t> const&) {
    if (thrown) return;
    thrown = true;
    throw std::runtime_error{"the contacts lookup blew up"};
  };
  w.presence.disconnected(ann);
  REQUIRE(run_until(w.ctx, [&] { return thrown && w.records.row(ann) && !w.records.row(ann)->online; }));
  auto const outcome = run_coroutine(w.ctx, w.presence.connected(ann, std::nullopt, 0));
  CHECK(outcome.counted);
  REQUIRE(run_until(w.ctx, [&] { return w.updates(bo, ann).size() == 2; }, std::chrono::seconds{5}));
  CHECK(w.updates(bo, ann)[1]["online"] == true);
  CHECK(w.presence.announcements_under_way() == 0);
}

TEST_CASE("a drain whose users' viewers all left with it reads no contacts and sends nothing", "[presence][issue14]")
{
  // Draining every socket of a 1,000-member group read a million (user, contact) rows to tell
  // nobody: every viewer was leaving too. Viewers are looked up first, contacts only for those
  // online somewhere.
  presence_world w;
  w.settings.grace = std::chrono::minutes{10};
  for (auto const user : {ann, bo, cy}) w.connect(user);
  for (auto const user : {ann, bo, cy}) w.presence.disconnected(user);
  REQUIRE(run_until(w.ctx, [&] {
    return w.counts.count_on_self(ann) + w.counts.count_on_self(bo) + w.counts.count_on_self(cy) == 0;
  }));
  int lookups = 0;
  w.records.on_contacts_lookup = [&](std::vector<std::int64_t> const&) { ++lookups; };
  auto const sent_before = w.bus.sent.size();
  run_coroutine(w.ctx, w.presence.release());
  CHECK(lookups == 0);
  CHECK(w.bus.sent.size() == sent_before);
  for (auto const user : {ann, bo, cy}) {
    CHECK_FALSE(w.counts.is_online(user));
    REQUIRE(w.records.row(user));
    CHECK_FALSE(w.records.row(user)->online);
  }
}

TEST_CASE("a group's members hear an arrival through one send to the group, not one each", "[presence][issue14]")
{
  // 1,000 members arriving cost 999 sends each (a million Redis scripts), most of an
  // avalanche's work: the group's own group reaches every member at once.
  presence_world w;
  auto const members = group_members_of_ann(w, 200);
  w.connect(ann);
  CHECK(w.bus.sent_to("chat_" + std::to_string(group_chat)).size() == 1);
  CHECK(presence_sends(w) == 2);  // the group, and bo (a contact) in person
  for (auto const member : members) REQUIRE(w.updates(member, ann).size() == 1);
  CHECK(w.updates(cy, ann).size() == 1);
  CHECK(w.updates(bo, ann).size() == 1);
  CHECK(w.updates(ann, ann).empty());  // ann's own sockets are in the group too: they drop it

  w.presence.disconnected(ann);
  REQUIRE(run_until(w.ctx, [&] { return w.updates(members.back(), ann).size() == 2; }));
  CHECK(presence_sends(w) == 4);
  for (auto const member : members) {
    auto const got = w.updates(member, ann);
    REQUIRE(got.size() == 2);
    CHECK(got[1]["online"] == false);
  }
}

TEST_CASE("a group member who shows presence to nobody does not see a change sent to the group",
          "[presence][issue14]")
{
  presence_world w;
  auto const members = group_members_of_ann(w, 50);
  w.records.set_visibility(members[7], core::visibility::nobody);
  w.records.set_visibility(cy, core::visibility::nobody);
  w.connect(ann);
  auto const sent = w.bus.sent_to("chat_" + std::to_string(group_chat));
  REQUIRE(sent.size() == 1);
  CHECK(sent[0]["type"] == "presence.members");
  CHECK(sent[0]["chat"] == group_chat);
  CHECK(w.updates(members[7], ann).empty());
  CHECK(w.updates(cy, ann).empty());
  CHECK(w.updates(members[8], ann).size() == 1);
}

TEST_CASE("with presence_through_groups off, each group member is told in person", "[presence][issue14]")
{
  presence_world w;
  w.settings.through_groups = false;
  auto const members = group_members_of_ann(w, 20);
  w.records.set_visibility(members[0], core::visibility::nobody);
  w.connect(ann);
  CHECK(w.bus.sent_to("chat_" + std::to_string(group_chat)).empty());
  CHECK(presence_sends(w) == 1 + 1 + 19);  // bo, cy and the members who may see it
  CHECK(w.updates(members[0], ann).empty());
  for (std::size_t i = 1; i < members.size(); ++i) CHECK(w.updates(members[i], ann).size() == 1);
}

TEST_CASE("a failed send to a group is tried again: it carries every member's update", "[presence][issue14]")
{
  presence_world w;
  auto const members = group_members_of_ann(w, 20);
  w.bus.faults.fail_next(fault::none);         // bo's, in person
  w.bus.faults.fail_next(fault::unavailable);  // the group's, the first time
  w.connect(ann);
  CHECK(w.bus.sent_to("chat_" + std::to_string(group_chat)).size() == 1);
  for (auto const member : members) CHECK(w.updates(member, ann).size() == 1);
}

TEST_CASE("a drain's offline reaches a group's members online elsewhere through the group", "[presence][issue14]")
{
  presence_world w;
  w.settings.grace = std::chrono::minutes{10};
  auto const members = group_members_of_ann(w, 30);
  for (int i = 0; i < 3; ++i)  // viewers online elsewhere: more than the one group send
    w.counts.other_process("B", fakes::manual_clock::start + 60'000, members[i], 1);
  w.connect(ann);
  w.presence.disconnected(ann);
  REQUIRE(run_until(w.ctx, [&] { return w.counts.count_on_self(ann) == 0; }));
  auto const before = w.bus.sent_to("chat_" + std::to_string(group_chat)).size();
  run_coroutine(w.ctx, w.presence.release());
  auto const sent = w.bus.sent_to("chat_" + std::to_string(group_chat));
  REQUIRE(sent.size() == before + 1);
  CHECK(sent.back()["online"] == false);
  for (int i = 0; i < 3; ++i) CHECK(w.updates(members[i], ann).back()["online"] == false);
}

TEST_CASE("announcements waiting for PostgreSQL cost one contacts query per heartbeat while it is down",
          "[presence][faults]")
{
  // Each waiting user was asked for again at every heartbeat, with a warning each: fifty users
  // made fifty queries and log lines per heartbeat, inside the lease's renewal.
  presence_world w;
  w.records.faults.fail_always(fault::unavailable);
  for (std::int64_t user = 100; user < 150; ++user) {
    w.records.share_chat(user, bo, 1000 + user, true);
    w.connect(user);
  }
  auto const before = w.records.faults.calls();
  w.presence.start();
  testing::run_for(w.ctx, 5 * w.settings.heartbeat);
  auto const asked = w.records.faults.calls() - before;
  CHECK(asked >= 2);
  CHECK(asked <= 15);  // about one per heartbeat (every heartbeat / 2), not 50 each time
  w.records.faults.heal();
  REQUIRE(run_until(w.ctx, [&] {
    for (std::int64_t user = 100; user < 150; ++user)
      if (w.updates(bo, user).size() != 1) return false;
    return true;
  }));
}
