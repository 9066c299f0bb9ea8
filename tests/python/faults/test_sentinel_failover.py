"""Sentinel failover mid-traffic: two sidecars reach Redis through three Sentinels
(sentinel://, as manage.py tandem writes a channels_redis Sentinel entry); SENTINEL FAILOVER
promotes the replica while three tabs chat. No acknowledged message is lost or doubled, no
socket is closed, nobody is announced offline (the promoted replica holds lease times from
before the promotion: the sidecars must not sweep live leases there), and the longest pause in
deliveries any tab sees is measured and bounded."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from faults.conftest import dbname, own_session
from faults.matrix import FaultWorld, Traffic, check_row, run_row
from harness.postgres_server import PostgresServer
from harness.redis_sentinel import SentinelRedis
from harness.sidecar_process import SidecarProcess

# Deliveries may stop while the sidecars find the new master; longer than this is a failure.
MAX_PAUSE_S = 10.0


@pytest.fixture
def sentinel_redis(tmp_path: Path) -> Iterator[SentinelRedis]:
    topology = SentinelRedis(tmp_path / "sentinel").start()
    yield topology
    topology.stop()


@pytest.fixture
def sentinel_world(
    trio: tuple[dict[str, Any], int],
    postgres_server: PostgresServer,
    sentinel_redis: SentinelRedis,
    start_sidecar: Callable[..., SidecarProcess],
) -> FaultWorld:
    users, chat_id = trio
    name = dbname()
    sidecars = [start_sidecar(postgres_server.conninfo(name), sentinel_redis.url) for _ in range(2)]
    return FaultWorld(
        users=users,
        cookies={n: own_session(u) for n, u in users.items()},
        chat_id=chat_id,
        sidecars=sidecars,
        client_urls=[s.ws_url(f"/ws/chat/{chat_id}/") for s in sidecars],
        redis=sentinel_redis.servers[0],
        postgres=postgres_server,
        dbname=name,
    )


def longest_pause(arrivals: list[float], start: float, end: float) -> float:
    """The longest time without a delivery to one tab between `start` and `end`."""
    times = sorted(t for t in arrivals if start <= t <= end)
    edges = [start, *times, end]
    return max(b - a for a, b in itertools.pairwise(edges))


def test_a_sentinel_failover_mid_traffic_loses_nothing(sentinel_world, sentinel_redis, capsys) -> None:
    window: dict[str, float] = {}
    clients_seen: list[Any] = []

    def failover(world: FaultWorld, traffic: Traffic) -> None:
        clients_seen.extend(traffic.clients)
        window["start"] = time.monotonic()
        window["took"] = sentinel_redis.failover()

    old_master = sentinel_redis.master_port()
    result = run_row(sentinel_world, "Sentinel failover", failover)
    assert sentinel_redis.master_port() != old_master
    logs = "".join(s.log() for s in sentinel_world.sidecars)
    assert "event=sentinel_master" in logs
    pauses = {
        c.name: longest_pause(list(c.arrival.values()), window["start"], window["start"] + window["took"])
        for c in clients_seen
    }
    with capsys.disabled():
        print(
            f"\nSentinel failover: {window['took']:.1f} s until the old master followed the new one; "
            f"longest pause in deliveries per tab: "
            + ", ".join(f"{name} {pause:.2f} s" for name, pause in pauses.items())
        )
    check_row(result, capsys)
    assert max(pauses.values()) < MAX_PAUSE_S, pauses
