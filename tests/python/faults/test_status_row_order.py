"""tandem_userstatus.connections when two processes count one user's tabs at once: the row is
written by each process with the count its own Redis script saw, and those PostgreSQL writes
can land in the other order (the fault matrix saw "(True, 1), 2 tabs are open" now and then).
Here the order is forced: process A's PostgreSQL link is slow, so A counts cy's first tab, B
counts the second and writes 2, and A's write of 1 lands last. The row must still end at 2."""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack

from faults.matrix import FaultWorld
from sidecar.wsclient import greeting, open_socket
from websockets.exceptions import WebSocketException

SLOW_MS = 500


def counted_in_redis(world: FaultWorld, user_id: int) -> bool:
    """A's connect script has run: some lease holds a socket of this user."""
    client = world.redis.client()
    for key in client.scan_iter(match="*presence*"):
        name = key.decode()
        if (
            f"user:{user_id}" in name
            and client.type(key) == b"hash"
            and any(int(v) > 0 for v in client.hvals(key))
        ):
            return True
    return False


def status_row(user_id: int) -> tuple[bool, int] | None:
    from django.db import connection
    from tandem.models import UserStatus

    connection.close()
    row = UserStatus.objects.filter(user_id=user_id).first()
    return None if row is None else (row.online, row.connections)


def warm_up_postgres_connections(world: FaultWorld) -> None:
    """Opens A's PostgreSQL connections before the link turns slow: each I/O thread has its own
    pool, and connecting through the slow link (a handful of round trips of SLOW_MS) runs past the
    connect timeout, so cy's handshake got 503 whenever it landed on a thread that had not
    connected yet. The kernel spreads connections over the threads' acceptors at random: 8 tabs
    per thread (ann's) reach every thread but with a negligible chance. Then ann's tabs close and
    her presence settles, so no slow write of hers holds a connection during the test."""
    tabs = 8 * int(world.sidecars[0].config["threads"])
    with ExitStack() as stack:
        for _ in range(tabs):
            ws = stack.enter_context(
                open_socket(world.sidecars[0].ws_url(f"/ws/chat/{world.chat_id}/"), world.cookies["ann"])
            )
            greeting(ws, timeout=30)
    ann = world.users["ann"].pk
    deadline = time.monotonic() + 60
    while status_row(ann) != (False, 0):
        assert time.monotonic() < deadline, f"ann's presence did not settle: {status_row(ann)}"
        time.sleep(0.1)


def test_the_status_row_ends_at_the_redis_count_whatever_order_the_writes_land_in(
    proxied_fault_world: FaultWorld,
) -> None:
    world = proxied_fault_world
    proxy = world.toxiproxy
    assert proxy is not None
    cy = world.users["cy"]
    cookie = world.cookies["cy"]
    warm_up_postgres_connections(world)
    proxy.add_toxic("postgres0", "slow-upstream", "latency", "upstream", latency=SLOW_MS)
    opened = threading.Event()
    done = threading.Event()
    first_error: list[Exception] = []

    def tab_on_a() -> None:
        try:
            with open_socket(world.sidecars[0].ws_url(f"/ws/chat/{world.chat_id}/"), cookie) as ws:
                greeting(ws, timeout=30)
                opened.set()
                done.wait(120)
        except (
            OSError,
            TimeoutError,
            AssertionError,
            WebSocketException,
        ) as error:  # reported on the test's thread
            first_error.append(error)
            opened.set()

    on_a = threading.Thread(target=tab_on_a)
    on_a.start()
    try:
        deadline = time.monotonic() + 30
        while not counted_in_redis(world, cy.pk):
            assert not first_error, first_error
            assert time.monotonic() < deadline, "process A never counted cy's tab"
            time.sleep(0.01)
        # A's row write is on its way through the slow link; B counts the second tab and
        # writes its count first.
        with open_socket(world.sidecars[1].ws_url(f"/ws/chat/{world.chat_id}/"), cookie) as ws_b:
            greeting(ws_b)
            assert opened.wait(60), "cy's tab on A never opened"
            assert not first_error, first_error
            # Past A's slow write (and a verification round on the slow link), the row says 2.
            deadline = time.monotonic() + 10 * SLOW_MS / 1000
            seen = status_row(cy.pk)
            while seen != (True, 2) and time.monotonic() < deadline:
                time.sleep(0.1)
                seen = status_row(cy.pk)
            time.sleep(4 * SLOW_MS / 1000)  # and stays so: no late write undoes it
            assert status_row(cy.pk) == (True, 2), f"was {seen}"
    finally:
        done.set()
        on_a.join(timeout=60)
        proxy.remove_toxic("postgres0", "slow-upstream")
