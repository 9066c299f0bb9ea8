// pg_pool and pg_connection against a real PostgreSQL (TANDEM_TEST_POSTGRES: a libpq conninfo).
// Not run by ctest: tests/python/store/test_store_cpp.py starts a server and runs this binary.
#include <catch2/catch.hpp>
#include <sys/resource.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "run_until.hpp"
#include "store/pg_connection.hpp"
#include "store/pg_pool.hpp"

using namespace tandem;
using namespace tandem::store;
using tandem::testing::run_until;

namespace {

std::string
conninfo()
{
  char const* value = std::getenv("TANDEM_TEST_POSTGRES");
  if (!value) FAIL("TANDEM_TEST_POSTGRES is not set: run this through tests/python/store");
  return value;
}

double
cpu_seconds()
{
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace

TEST_CASE("queries waiting for a one-connection pool are served in order, without spinning", "[pg_pool]")
{
  asio::io_context ctx;
  pg_pool pool{ctx.get_executor(), {conninfo(), 1, std::chrono::seconds{30}, {3, 2000}}};
  std::vector<std::string> finished;
  auto run = [&](std::string tag, std::string sql) {
    asio::co_spawn(
        ctx,
        [&, tag, sql]() -> awaitable<void> {
          auto out = co_await pool.query(sql, {});
          finished.push_back(out.ok() ? tag : tag + ":" + out.describe());
        },
        asio::detached);
  };
  run("holder", "SELECT pg_sleep(1.5)");
  ctx.poll();  // the holder takes the only connection
  for (std::string tag : {"first", "second", "third"}) {
    run(tag, "SELECT 1");
    ctx.poll();  // queued in this order
  }
  REQUIRE(pool.waiting() == 3);
  auto const cpu_before = cpu_seconds();
  REQUIRE(run_until(ctx, [&] { return finished.size() == 4; }));
  auto const cpu_used = cpu_seconds() - cpu_before;
  CHECK(finished == std::vector<std::string>{"holder", "first", "second", "third"});
  // Parked waiters cost nothing; a busy loop burns a whole core for the ~1.5 s of the wait.
  CHECK(cpu_used < 0.5);
  CHECK(pool.breaker_state() == core::breaker_state::closed);
  pool.close();
}

TEST_CASE("a wait for a busy pool that runs out is overload, not an outage: the breaker stays closed",
          "[pg_pool]")
{
  asio::io_context ctx;
  pg_pool pool{ctx.get_executor(), {conninfo(), 1, std::chrono::milliseconds{300}, {1, 60000}}};
  int done = 0;
  pg_outcome late;
  asio::co_spawn(
      ctx,
      [&]() -> awaitable<void> {
        co_await pool.query("SELECT 1", {});  // connects while nobody else waits
        ++done;
      },
      asio::detached);
  REQUIRE(run_until(ctx, [&] { return done == 1; }));
  // A holder whose statement outlives the timeout, and a waiter that gives up first.
  asio::co_spawn(
      ctx,
      [&]() -> awaitable<void> {
        co_await pool.query("SELECT pg_sleep(0.25)", {});
        ++done;
      },
      asio::detached);
  asio::co_spawn(
      ctx,
      [&]() -> awaitable<void> {
        // Queued behind the holder with a 300 ms patience, it may or may not get in; either
        // way the breaker must not open.
        late = co_await pool.query("SELECT 1", {});
        ++done;
      },
      asio::detached);
  REQUIRE(run_until(ctx, [&] { return done == 3; }));
  CHECK(pool.breaker_state() == core::breaker_state::closed);
  pool.close();
}

TEST_CASE("a statement that outlives its timeout is cancelled on the server", "[pg_connection]")
{
  asio::io_context ctx;
  pg_connection watcher{ctx.get_executor(), conninfo()};
  pg_connection slow{ctx.get_executor(), conninfo()};
  std::string err1, err2;
  bool connected = false;
  asio::co_spawn(
      ctx,
      [&]() -> awaitable<void> {
        err1 = co_await watcher.connect(std::chrono::seconds{30});
        err2 = co_await slow.connect(std::chrono::seconds{30});
        connected = true;
      },
      asio::detached);
  REQUIRE(run_until(ctx, [&] { return connected; }));
  REQUIRE(err1.empty());
  REQUIRE(err2.empty());
  std::optional<pg_outcome> timed_out;
  asio::co_spawn(
      ctx,
      [&]() -> awaitable<void> {
        timed_out = co_await slow.query("SELECT pg_sleep(30) /* tandem-cancel-probe */", {}, std::chrono::milliseconds{300});
      },
      asio::detached);
  REQUIRE(run_until(ctx, [&] { return timed_out.has_value(); }));
  CHECK(timed_out->error == "query timed out");
  // The server side must let go soon, not after 30 s.
  std::int64_t still_running = -1;
  auto const gave_up_by = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  while (std::chrono::steady_clock::now() < gave_up_by) {
    std::optional<pg_outcome> probe;
    asio::co_spawn(
        ctx,
        [&]() -> awaitable<void> {
          probe = co_await watcher.query(
              "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%tandem-cancel-probe%' AND state = 'active' "
              "AND pid <> pg_backend_pid()",
              {}, std::chrono::seconds{30});
        },
        asio::detached);
    REQUIRE(run_until(ctx, [&] { return probe.has_value(); }));
    REQUIRE(probe->ok());
    still_running = std::stoll(std::string{probe->result.value(0, 0)});
    if (still_running == 0) break;
    run_until(ctx, [] { return false; }, std::chrono::milliseconds{100});
  }
  CHECK(still_running == 0);
}

TEST_CASE("every connection carries statement and lock timeouts just under the client's", "[pg_connection]")
{
  asio::io_context ctx;
  pg_connection connection{ctx.get_executor(), conninfo()};
  std::string error;
  std::optional<pg_outcome> shown;
  asio::co_spawn(
      ctx,
      [&]() -> awaitable<void> {
        error = co_await connection.connect(std::chrono::milliseconds{4000});
        shown = co_await connection.query("SELECT current_setting('statement_timeout'), current_setting('lock_timeout')",
                                          {}, std::chrono::seconds{30});
      },
      asio::detached);
  REQUIRE(run_until(ctx, [&] { return shown.has_value(); }));
  REQUIRE(error.empty());
  REQUIRE(shown->ok());
  // A tenth less (at most 500 ms): the server reports the rollback before the client gives up.
  CHECK(std::string{shown->result.value(0, 0)} == "3600ms");
  CHECK(std::string{shown->result.value(0, 1)} == "3600ms");
}

TEST_CASE("a deadline that expires as its query completes never ends the next query", "[pg_connection]")
{
  asio::io_context ctx;
  pg_connection connection{ctx.get_executor(), conninfo()};
  int spurious = 0, raced = 0, rounds = 0;
  bool done = false;
  asio::co_spawn(
      ctx,
      [&]() -> awaitable<void> {
        for (int i = 0; i < 300; ++i) {
          if (!connection.usable() && !(co_await connection.connect(std::chrono::seconds{30})).empty()) break;
          // A deadline about as long as the statement: often both are ready in the same turn.
          auto const first = co_await connection.query("SELECT 1", {}, std::chrono::milliseconds{i % 2});
          if (!first.error.empty()) {
            ++raced;
            continue;  // this one timed out (and reset); reconnect next round
          }
          auto const second = co_await connection.query("SELECT 2", {}, std::chrono::seconds{30});
          if (!second.ok()) ++spurious;
          ++rounds;
        }
        done = true;
      },
      asio::detached);
  REQUIRE(run_until(ctx, [&] { return done; }, std::chrono::seconds{240}));
  INFO("rounds " << rounds << ", first queries timed out " << raced);
  CHECK(rounds > 50);
  CHECK(spurious == 0);
}

TEST_CASE("hot statements are prepared once per connection and prepared again after a reconnect", "[pg_pool]")
{
  asio::io_context ctx;
  pg_pool pool{ctx.get_executor(), {conninfo(), 1, std::chrono::seconds{30}, {100, 2000}}};
  pg_connection admin{ctx.get_executor(), conninfo()};
  pg_statement const plus_one{"tandem_test_plus_one", "SELECT $1::int + 1"};
  // Parameters made outside the coroutines: GCC 12 miscompiles a string literal in a braced
  // list inside a co_await expression.
  pg_params const forty_one{std::string{"41"}};
  pg_params const statement_name{plus_one.name};
  // On the pool's one connection: its backend, the statement's answer, and what that session
  // holds prepared under the statement's name.
  struct look {
    std::string backend, answer, prepared;
  };
  auto look_now = [&] {
    std::optional<look> seen;
    asio::co_spawn(
        ctx,
        [&]() -> awaitable<void> {
          auto answer = co_await pool.query(plus_one, forty_one);
          if (!answer.ok()) answer = co_await pool.query(plus_one, forty_one);  // once more after a reconnect
          auto backend = co_await pool.query("SELECT pg_backend_pid()::text", {});
          auto prepared = co_await pool.query(
              "SELECT string_agg(statement, ';') FROM pg_prepared_statements WHERE starts_with(name, $1 || '_')",
              statement_name);
          look l;
          l.answer = answer.ok() ? std::string{answer.result.value(0, 0)} : answer.describe();
          l.backend = backend.ok() ? std::string{backend.result.value(0, 0)} : backend.describe();
          l.prepared = prepared.ok() ? std::string{prepared.result.value(0, 0)} : prepared.describe();
          seen = l;
        },
        asio::detached);
    REQUIRE(run_until(ctx, [&] { return seen.has_value(); }));
    return *seen;
  };
  auto const first = look_now();
  CHECK(first.answer == "42");
  CHECK(first.prepared == plus_one.sql);
  // A second run reuses the statement: preparing the same name twice in one session would fail.
  auto const again = look_now();
  CHECK(again.answer == "42");
  CHECK(again.backend == first.backend);
  // The server ends the pool's session (a restart or failover would too): the statement is gone
  // with it, and the next connection prepares it anew.
  std::optional<pg_outcome> killed;
  std::string admin_error;
  asio::co_spawn(
      ctx,
      [&]() -> awaitable<void> {
        admin_error = co_await admin.connect(std::chrono::seconds{30});
        pg_params const backend{first.backend};
        auto ended = co_await admin.query("SELECT pg_terminate_backend($1::int)", backend, std::chrono::seconds{30});
        // Termination is a signal: wait until the backend is gone, so the next query cannot
        // still reach it.
        for (int i = 0; i < 200 && ended.ok(); ++i) {
          auto left = co_await admin.query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int", backend,
                                           std::chrono::seconds{30});
          if (!left.ok() || left.result.value(0, 0) == "0") break;
          asio::steady_timer pause{ctx, std::chrono::milliseconds{50}};
          co_await pause.async_wait(asio::use_awaitable);
        }
        killed = std::move(ended);
      },
      asio::detached);
  REQUIRE(run_until(ctx, [&] { return killed.has_value(); }));
  REQUIRE(admin_error.empty());
  REQUIRE(killed->ok());
  auto const after = look_now();
  CHECK(after.backend != first.backend);
  CHECK(after.answer == "42");
  CHECK(after.prepared == plus_one.sql);
  pool.close();
}

namespace {

/// TANDEM_TEST_PGBOUNCER: the same database through a PgBouncer in transaction pooling mode with
/// ONE server connection, so every client shares that server session (tests/python/store).
std::string
bouncer_conninfo()
{
  char const* value = std::getenv("TANDEM_TEST_PGBOUNCER");
  if (!value) FAIL("TANDEM_TEST_PGBOUNCER is not set: run this through tests/python/store");
  return value;
}

/// Runs `body` on `ctx` to completion.
template <typename Body>
void
run_coroutine(asio::io_context& ctx, Body body)
{
  bool done = false;
  asio::co_spawn(
      ctx,
      [&]() -> awaitable<void> {
        co_await body();
        done = true;
      },
      asio::detached);
  REQUIRE(run_until(ctx, [&] { return done; }, std::chrono::seconds{120}));
}

std::string
answer_of(pg_outcome const& out)
{
  return out.ok() ? std::string{out.result.value(0, 0)} : "error " + std::string{out.result.sqlstate()} + ": " + out.describe();
}

}  // namespace

TEST_CASE("behind PgBouncer, a statement another client prepared on the shared server counts as prepared (42P05)",
          "[pgbouncer]")
{
  asio::io_context ctx;
  pg_connection first{ctx.get_executor(), bouncer_conninfo()};
  pg_connection second{ctx.get_executor(), bouncer_conninfo()};
  pg_statement const plus_one{"tandem_test_bouncer_plus_one", "SELECT $1::int + 1"};
  pg_params const forty_one{std::string{"41"}};
  std::string first_answer, second_answer, errors;
  run_coroutine(ctx, [&]() -> awaitable<void> {
    errors += co_await first.connect(std::chrono::seconds{30});
    errors += co_await second.connect(std::chrono::seconds{30});
    auto a = co_await first.execute(plus_one, forty_one, std::chrono::seconds{30});
    first_answer = answer_of(a);
    // The second client's prepare reaches the one server session, which already has the name.
    auto b = co_await second.execute(plus_one, forty_one, std::chrono::seconds{30});
    second_answer = answer_of(b);
  });
  REQUIRE(errors.empty());
  CHECK(first_answer == "42");
  CHECK(second_answer == "42");
}

TEST_CASE("behind PgBouncer, a statement missing on the server connection (26000) is prepared again and retried",
          "[pgbouncer]")
{
  asio::io_context ctx;
  pg_connection client{ctx.get_executor(), bouncer_conninfo()};
  pg_connection other{ctx.get_executor(), bouncer_conninfo()};
  pg_statement const plus_one{"tandem_test_bouncer_plus_two", "SELECT $1::int + 2"};
  pg_params const forty{std::string{"40"}};
  std::string before, after, errors;
  run_coroutine(ctx, [&]() -> awaitable<void> {
    errors += co_await client.connect(std::chrono::seconds{30});
    errors += co_await other.connect(std::chrono::seconds{30});
    auto a = co_await client.execute(plus_one, forty, std::chrono::seconds{30});
    before = answer_of(a);
    // The server session the client prepared on forgets it (as a new server connection would
    // not have it): the client still believes it prepared.
    auto dropped = co_await other.query("DEALLOCATE ALL", {}, std::chrono::seconds{30});
    if (!dropped.ok()) errors += dropped.describe();
    auto b = co_await client.execute(plus_one, forty, std::chrono::seconds{30});
    after = answer_of(b);
  });
  REQUIRE(errors.empty());
  CHECK(before == "42");
  CHECK(after == "42");
}

TEST_CASE("a prepared statement whose result type changed (0A000) is prepared again and retried once",
          "[pg_connection]")
{
  asio::io_context ctx;
  pg_connection connection{ctx.get_executor(), conninfo()};
  pg_statement const everything{"tandem_test_shape", "SELECT * FROM tandem_test_shape"};
  std::string before, after, errors;
  bool still_usable = false;
  run_coroutine(ctx, [&]() -> awaitable<void> {
    errors += co_await connection.connect(std::chrono::seconds{30});
    auto made = co_await connection.query("CREATE TEMP TABLE tandem_test_shape AS SELECT 1 AS a", {},
                                          std::chrono::seconds{30});
    if (!made.ok()) errors += made.describe();
    auto a = co_await connection.execute(everything, {}, std::chrono::seconds{30});
    before = answer_of(a);
    // A migration adds a column: "cached plan must not change result type" on the next run.
    auto altered = co_await connection.query("ALTER TABLE tandem_test_shape ADD COLUMN b int", {},
                                             std::chrono::seconds{30});
    if (!altered.ok()) errors += altered.describe();
    auto b = co_await connection.execute(everything, {}, std::chrono::seconds{30});
    after = answer_of(b);
    still_usable = connection.usable();  // the session (and its temp table) carries on
  });
  REQUIRE(errors.empty());
  CHECK(before == "1");
  CHECK(after == "1");
  CHECK(still_usable);
}

TEST_CASE("with prepared statements off, hot statements run unnamed behind PgBouncer and leave nothing prepared",
          "[pgbouncer]")
{
  asio::io_context ctx;
  pg_pool_config config{bouncer_conninfo(), 3, std::chrono::seconds{30}, {100, 2000}};
  config.prepared_statements = false;
  pg_pool pool{ctx.get_executor(), config};
  pg_statement const plus_one{"tandem_test_bouncer_unnamed", "SELECT $1::int + 1"};
  pg_params const forty_one{std::string{"41"}};
  pg_params const statement_name{plus_one.name};
  std::vector<std::string> answers;
  int running = 0;
  for (int i = 0; i < 30; ++i) {
    ++running;
    asio::co_spawn(
        ctx,
        [&]() -> awaitable<void> {
          auto out = co_await pool.query(plus_one, forty_one);
          answers.push_back(answer_of(out));
          --running;
        },
        asio::detached);
  }
  REQUIRE(run_until(ctx, [&] { return running == 0; }, std::chrono::seconds{120}));
  CHECK(answers == std::vector<std::string>(30, "42"));
  std::string left;
  run_coroutine(ctx, [&]() -> awaitable<void> {
    auto out = co_await pool.query(
        "SELECT count(*) FROM pg_prepared_statements WHERE starts_with(name, $1 || '_')", statement_name);
    left = answer_of(out);
  });
  CHECK(left == "0");  // the one server session behind PgBouncer holds no statement of ours
  pool.close();
}

TEST_CASE("behind PgBouncer, a name another client prepared with other SQL is never run as ours", "[pgbouncer]")
{
  // A rolling upgrade (a statement's SQL changed between versions) or two sites with other
  // table names, sharing one PgBouncer pool: the same statement name, different SQL.
  asio::io_context ctx;
  pg_connection old_version{ctx.get_executor(), bouncer_conninfo()};
  pg_connection new_version{ctx.get_executor(), bouncer_conninfo()};
  pg_statement const before{"tandem_test_bouncer_versioned", "SELECT 'old'::text"};
  pg_statement const after{"tandem_test_bouncer_versioned", "SELECT 'new'::text"};
  std::string old_answer, new_answer, errors;
  run_coroutine(ctx, [&]() -> awaitable<void> {
    errors += co_await old_version.connect(std::chrono::seconds{30});
    errors += co_await new_version.connect(std::chrono::seconds{30});
    auto a = co_await old_version.execute(before, {}, std::chrono::seconds{30});
    old_answer = answer_of(a);
    auto b = co_await new_version.execute(after, {}, std::chrono::seconds{30});
    new_answer = answer_of(b);
  });
  REQUIRE(errors.empty());
  CHECK(old_answer == "old");
  CHECK(new_answer == "new");
}

TEST_CASE("a query queued behind busy connections longer than db_timeout still runs: overload is not an error",
          "[pg_pool]")
{
  // Under overload every send waits for a connection; failing those waits after db_timeout
  // answered healthy-database sends with store_unavailable (bench W2 at 5,000/s: 1,566 of them).
  asio::io_context ctx;
  pg_pool_config config{conninfo(), 1, std::chrono::milliseconds{500}, {3, 2000}};
  config.queue_timeout = std::chrono::seconds{20};
  pg_pool pool{ctx.get_executor(), config};
  std::vector<std::string> finished;
  auto run = [&](std::string tag) {
    asio::co_spawn(
        ctx,
        [&, tag]() -> awaitable<void> {
          auto out = co_await pool.query("SELECT pg_sleep(0.3)", {});
          finished.push_back(out.ok() ? tag : tag + ":" + out.describe());
        },
        asio::detached);
  };
  for (std::string tag : {"a", "b", "c", "d"}) {
    run(tag);
    ctx.poll();
  }
  // "d" waits about 0.9 s for the one connection, longer than the 0.5 s db_timeout.
  REQUIRE(run_until(ctx, [&] { return finished.size() == 4; }, std::chrono::seconds{30}));
  CHECK(finished == std::vector<std::string>{"a", "b", "c", "d"});
  pool.close();
}
