// An upgrade counted for the drain (net/upgrade_in_progress): counted from the drain check in
// http_session until the socket is open, across the hand-over to the session's coroutine.
#include <catch2/catch.hpp>

#include <utility>

#include "net/upgrade_in_progress.hpp"

using tandem::net::upgrade_in_progress;

TEST_CASE("an upgrade counts from its creation until done, once", "[net][drain]")
{
  tandem::ops::counter upgrading{0};
  bool tearing_down = false;
  {
    upgrade_in_progress upgrade{upgrading, tearing_down};
    CHECK(upgrading.load() == 1);
    upgrade.done();
    CHECK(upgrading.load() == 0);
    upgrade.done();
    CHECK(upgrading.load() == 0);
  }
  CHECK(upgrading.load() == 0);
}

TEST_CASE("an upgrade handed to the session's coroutine is counted once, until it ends", "[net][drain]")
{
  tandem::ops::counter upgrading{0};
  bool tearing_down = false;
  {
    upgrade_in_progress in_http_session{upgrading, tearing_down};
    {
      upgrade_in_progress in_coroutine_frame{std::move(in_http_session)};
      CHECK(upgrading.load() == 1);
    }
    CHECK(upgrading.load() == 0);  // the session ended before it was open: an upgrade that failed
  }
  CHECK(upgrading.load() == 0);  // the moved-from one takes nothing away
}

TEST_CASE("an upgrade destroyed while its worker is torn down touches nothing", "[net][drain]")
{
  tandem::ops::counter upgrading{0};
  bool tearing_down = false;
  {
    upgrade_in_progress upgrade{upgrading, tearing_down};
    tearing_down = true;  // (the counter may be gone by then: it is not read)
  }
  CHECK(upgrading.load() == 1);
}
