"""An avalanche of upgrades (every browser of a site reconnecting after a deploy) waits its turn
for verification instead of failing: `max_pending_handshakes` is how many are verified at once on
one I/O thread, not a reason to answer 503 (issue 14, W5: 0 failures at 1,000 in flight). The
wait is bounded: an upgrade still queued after `handshake_timeout` gets 503."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.test import Client
from websockets.exceptions import InvalidStatus
from wsclient import greeting, open_socket

SOCKETS = 60


def own_session(user) -> str:
    """A session cookie of its own (one test client logging in someone else would end it)."""
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def test_more_upgrades_than_max_pending_handshakes_all_open(world, make_sidecar) -> None:
    sidecar = make_sidecar(threads=1, max_pending_handshakes=2, max_connections_per_user=100)
    url = sidecar.ws_url("/ws/notifications/")
    cookies = [own_session(user) for user in (world.ann, world.bob, world.eve)]
    start = threading.Barrier(SOCKETS)

    def connect(i: int) -> str:
        start.wait(timeout=60)
        try:
            with open_socket(url, cookies[i % len(cookies)]) as ws:
                return greeting(ws)["type"]
        except InvalidStatus as refused:
            return f"http_{refused.response.status_code}"

    with ThreadPoolExecutor(SOCKETS) as pool:
        outcomes = list(pool.map(connect, range(SOCKETS)))
    assert outcomes == ["hello"] * SOCKETS, {o: outcomes.count(o) for o in set(outcomes)}


def test_an_upgrade_queued_longer_than_the_handshake_timeout_gets_503(world, make_sidecar, postgres_server) -> None:
    import psycopg
    from django.db import connection

    sidecar = make_sidecar(threads=1, max_pending_handshakes=1, handshake_timeout=2, db_timeout=30)
    url = sidecar.ws_url("/ws/notifications/")
    dsn = postgres_server.conninfo(connection.settings_dict["NAME"])
    outcomes: dict[str, object] = {}
    ann, bob = own_session(world.ann), own_session(world.bob)  # before the lock: they write sessions

    def connect(name: str, cookie: str) -> None:
        began = time.monotonic()
        try:
            with open_socket(url, cookie) as ws:
                outcomes[name] = greeting(ws)["type"]
        except InvalidStatus as refused:
            outcomes[name] = refused.response.status_code
        outcomes[f"{name}_s"] = time.monotonic() - began

    with psycopg.connect(dsn, autocommit=False) as blocker:
        # The first upgrade's session lookup waits on this lock and holds the one verification
        # slot; the second waits in line for it.
        blocker.execute("LOCK TABLE django_session IN ACCESS EXCLUSIVE MODE")
        first = threading.Thread(target=connect, args=("first", ann))
        first.start()
        time.sleep(0.5)
        second = threading.Thread(target=connect, args=("second", bob))
        second.start()
        second.join(timeout=60)
        blocker.rollback()
    first.join(timeout=60)
    assert outcomes["second"] == 503, outcomes
    assert 1.5 <= outcomes["second_s"] < 30, outcomes  # waited its turn, up to handshake_timeout
    assert outcomes["first"] == "hello", outcomes
