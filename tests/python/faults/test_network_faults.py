"""Row 5: network faults through Toxiproxy on every link (clients to each sidecar, each sidecar
to Redis and to PostgreSQL): latency with jitter, a bandwidth limit, and connections cut."""

from __future__ import annotations

import time

from faults.matrix import FaultWorld, Traffic, check_row, run_row

LINKS = ("client0", "client1", "redis0", "redis1", "postgres0", "postgres1")


def toxic_for(links: tuple[str, ...], seconds: float, kind: str, **attributes):
    def fault(world: FaultWorld, traffic: Traffic) -> None:
        proxy = world.toxiproxy
        assert proxy is not None
        for link in links:
            for stream in ("upstream", "downstream"):
                proxy.add_toxic(link, f"{kind}-{stream}", kind, stream, **attributes)
        try:
            time.sleep(seconds)
        finally:
            for link in links:
                for stream in ("upstream", "downstream"):
                    proxy.remove_toxic(link, f"{kind}-{stream}")

    return fault


def cut(links: tuple[str, ...], seconds: float):
    """Disabled proxies close every connection through them and refuse new ones."""

    def fault(world: FaultWorld, traffic: Traffic) -> None:
        proxy = world.toxiproxy
        assert proxy is not None
        for link in links:
            proxy.set_enabled(link, False)
        try:
            time.sleep(seconds)
        finally:
            for link in links:
                proxy.set_enabled(link, True)

    return fault


def test_latency_and_jitter_on_every_link(proxied_fault_world, capsys) -> None:
    fault = toxic_for(LINKS, 6, "latency", latency=60, jitter=40)
    check_row(run_row(proxied_fault_world, "5a latency 60+-40 ms, all links", fault), capsys)


def test_bandwidth_limit_between_clients_and_sidecars(proxied_fault_world, capsys) -> None:
    fault = toxic_for(("client0", "client1"), 6, "bandwidth", rate=8)
    check_row(run_row(proxied_fault_world, "5b 8 KB/s client links", fault), capsys)


def test_client_connections_cut(proxied_fault_world, capsys) -> None:
    result = run_row(
        proxied_fault_world, "5c client links cut 2 s", cut(("client0", "client1"), 2), expect_open=False
    )
    check_row(result, capsys)


def test_redis_connections_cut(proxied_fault_world, capsys) -> None:
    check_row(run_row(proxied_fault_world, "5d Redis links cut 3 s", cut(("redis0", "redis1"), 3)), capsys)


def test_postgres_connections_cut(proxied_fault_world, capsys) -> None:
    check_row(
        run_row(proxied_fault_world, "5e PostgreSQL links cut 3 s", cut(("postgres0", "postgres1"), 3)),
        capsys,
    )
