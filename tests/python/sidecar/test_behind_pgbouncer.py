"""The sidecar behind a real PgBouncer 1.18 in transaction pooling (docs/deployment.md,
"PgBouncer"), several pool connections sharing few server sessions: every message is stored,
acknowledged and delivered, with the hot queries prepared (statements another client prepared on
the shared session count as prepared) and with `db_prepared_statements = false` (unnamed
queries, what the documentation advises for PgBouncer before 1.21)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from chatclient import send_frame, wait_for
from harness.pgbouncer_server import PgBouncerServer, pgbouncer_binary
from harness.postgres_server import PostgresServer
from harness.sidecar_process import SidecarProcess
from wsclient import next_frame, open_socket


@pytest.fixture
def make_bouncer(postgres_server: PostgresServer) -> Iterator[Callable[[int], PgBouncerServer]]:
    # A real PgBouncer is required, like PostgreSQL and Redis: scripts/install-deps.sh installs it.
    assert pgbouncer_binary() is not None, "pgbouncer is not installed: run scripts/install-deps.sh"
    started: list[PgBouncerServer] = []

    def make(pool_size: int) -> PgBouncerServer:
        bouncer = PgBouncerServer(postgres_server, pool_size=pool_size)
        started.append(bouncer)
        bouncer.start()
        return bouncer

    yield make
    for bouncer in started:
        bouncer.stop()


@pytest.mark.parametrize(
    ("prepared", "server_connections"),
    [
        # One server session shared by three pool connections: each prepare after the first
        # finds the name there (42P05).
        (True, 1),
        # Unnamed queries: any number of server sessions, any order.
        (False, 2),
    ],
)
def test_messages_go_through_pgbouncer_in_transaction_mode(
    world: Any,
    make_sidecar: Callable[..., SidecarProcess],
    make_bouncer: Callable[[int], PgBouncerServer],
    prepared: bool,
    server_connections: int,
) -> None:
    from django.db import connection

    bouncer = make_bouncer(server_connections)
    sidecar = make_sidecar(
        database=bouncer.conninfo(connection.settings_dict["NAME"]),
        threads=1,
        db_connections_per_thread=3,
        db_prepared_statements=prepared,
    )
    url = sidecar.ws_url(f"/ws/chat/{world.chat.pk}/")
    with open_socket(url, world.cookie(world.ann)) as ann, open_socket(url, world.cookie(world.bob)) as bob:
        next_frame(ann)
        next_frame(bob)
        # Both send without waiting for acks, so their statements overlap on the pool's
        # connections (and so on PgBouncer's server sessions). 20 each: within rate_burst.
        for i in range(20):
            send_frame(ann, "send", client_id=f"ann-{i}", body=f"from ann {i}")
            send_frame(bob, "send", client_id=f"bob-{i}", body=f"from bob {i}")
        for ws, sender, other in ((ann, "ann", "bob"), (bob, "bob", "ann")):
            acked: set[str] = set()
            received: set[str] = set()
            while len(acked) < 20 or len(received) < 20:
                frame = wait_for(ws, lambda f: f["type"] in ("ack", "error", "message"), timeout=30)
                assert frame["type"] != "error", frame
                if frame["type"] == "ack":
                    acked.add(frame["client_id"])
                elif frame["body"].startswith(f"from {other}"):
                    received.add(frame["body"])
            assert acked == {f"{sender}-{i}" for i in range(20)}
            assert received == {f"from {other} {i}" for i in range(20)}
    assert "event=postgres_query_failed" not in sidecar.log()
