"""Hostile input: descriptor exhaustion. Idle TCP connections that never send a request are
capped per source address and in total (503 at once, counted by reason), the soft open-files
limit is raised to the hard one at start, and running out of descriptors answers the waiting
connection and backs off instead of spinning; honest users and /healthz get through throughout."""

from __future__ import annotations

import contextlib
import re
import select
import socket
import time
from collections.abc import Iterator

from hostile import honest_exchange

SHED = b"HTTP/1.1 503"


@contextlib.contextmanager
def idle_connections(port: int, source: str, count: int) -> Iterator[list[socket.socket]]:
    """`count` TCP connections from `source` (an address in 127.0.0.0/8) that send nothing."""
    opened: list[socket.socket] = []
    try:
        for _ in range(count):
            conn = socket.socket()
            conn.bind((source, 0))
            conn.connect(("127.0.0.1", port))
            opened.append(conn)
        yield opened
    finally:
        for conn in opened:
            conn.close()


def shed_count(connections: list[socket.socket], expected: int, timeout: float = 10) -> int:
    """How many of the connections were answered 503, waiting until `expected` were (or timeout)."""
    answered: set[int] = set()
    deadline = time.monotonic() + timeout
    while len(answered) < expected and time.monotonic() < deadline:
        pending = [c for c in connections if c.fileno() not in answered]
        readable, _, _ = select.select(pending, [], [], 0.2)
        for conn in readable:
            if conn.recv(64).startswith(SHED):
                answered.add(conn.fileno())
    return len(answered)


def metric(sidecar, name: str) -> int:
    _, text = sidecar.get("/metrics")
    found = re.search(rf"^{re.escape(name)} (\d+)$", text, re.MULTILINE)
    return int(found.group(1)) if found else 0


def test_idle_connections_from_one_address_do_not_lock_out_others(world, make_sidecar) -> None:
    sidecar = make_sidecar(
        rlimits={"nofile": (256, 4096)},
        max_unauthenticated_per_address=50,
        handshake_timeout=60,
    )
    assert "event=open_files_limit soft=4096 hard=4096 raised_from=256" in sidecar.log()
    with idle_connections(sidecar.port, "127.0.0.2", 400) as idle:
        assert shed_count(idle, 350) == 350
        assert sidecar.get("/healthz")[0] == 200
        honest_exchange(sidecar, world)
    assert metric(sidecar, 'tandem_connections_shed_total{reason="per_address"}') == 350


def test_the_total_cap_spans_addresses(world, make_sidecar) -> None:
    sidecar = make_sidecar(max_unauthenticated_per_address=10, max_unauthenticated=15, handshake_timeout=60)
    with idle_connections(sidecar.port, "127.0.0.2", 10) as first, idle_connections(sidecar.port, "127.0.0.3", 8) as second:
        assert shed_count(first + second, 3) == 3  # whichever were accepted last
    assert metric(sidecar, 'tandem_connections_shed_total{reason="total"}') == 3
    honest_exchange(sidecar, world)


def test_out_of_descriptors_the_waiting_connection_is_answered_and_accept_backs_off(world, make_sidecar) -> None:
    sidecar = make_sidecar(rlimits={"nofile": (160, 160)}, handshake_timeout=60)
    with idle_connections(sidecar.port, "127.0.0.2", 220) as idle:
        assert shed_count(idle, 40, timeout=60) >= 40  # told, not left in the backlog (timeout: a busy machine)
        time.sleep(2)  # an episode long enough to show whether accept spins
        assert sidecar.log().count("event=accept_failed") <= 4  # once per episode per thread
    honest_exchange(sidecar, world)
    assert metric(sidecar, 'tandem_connections_shed_total{reason="descriptors"}') >= 40
