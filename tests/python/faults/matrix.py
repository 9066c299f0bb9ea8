"""Runs one row of the fault matrix: three users (cy with a tab on each process) talk in one
group chat on two sidecar processes at a steady 60 messages/s; the fault happens mid-traffic;
then traffic stops, every unacknowledged message is resent until acknowledged, and the audit
reads what the clients hold against PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from faults.audit import RowResult, StoredRow, audit, rss_bytes, warnings_in
from faults.fault_client import FaultClient
from faults.presence_probe import presence_settles
from harness.postgres_server import PostgresServer
from harness.redis_server import RedisServer
from harness.sidecar_process import SidecarProcess
from harness.toxiproxy_server import ToxiproxyServer

# (client name, user, home process): cy has one tab on each process.
TABS = [("ann", "ann", 0), ("bob", "bob", 1), ("cy-a", "cy", 0), ("cy-b", "cy", 1)]
RATE_PER_TAB = 15.0  # 60 messages/s in all, under the default 20/s a connection may send
MAX_IN_FLIGHT = 150  # a tab stops writing new messages while this many wait for an ack
MAX_MESSAGES = 3000  # bounds a row's traffic whatever its timing
# "Memory returns to its level before": what the allocator may keep after a burst of buffers.
RSS_GROWTH_FACTOR = 1.25
RSS_GROWTH_BYTES = 8 * 1024 * 1024
RESULTS: list[RowResult] = []  # printed again at the end of the session (conftest)


@dataclass
class FaultWorld:
    users: dict[str, Any]
    cookies: dict[str, str]
    chat_id: int
    sidecars: list[SidecarProcess]
    client_urls: list[str]  # the chat socket URL per process, as clients reach it
    redis: RedisServer
    postgres: PostgresServer
    dbname: str
    toxiproxy: ToxiproxyServer | None = None

    def live_sidecars(self) -> list[SidecarProcess]:
        return [s for s in self.sidecars if s.process is not None and s.process.poll() is None]


def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


class Traffic:
    """Each sending tab writes RATE_PER_TAB new messages a second and retries what is due."""

    def __init__(self, clients: list[FaultClient]) -> None:
        self.clients = clients
        self.sending = True
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="traffic", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def burst(self, per_tab: int) -> None:
        now = time.monotonic()
        for client in self.clients:
            client.send_burst(per_tab, now)
            self.sent += per_tab

    def _run(self) -> None:
        period = 1.0 / RATE_PER_TAB
        start = time.monotonic()
        due = {c.name: start + i * period / len(self.clients) for i, c in enumerate(self.clients)}
        while not self._stop.is_set():
            now = time.monotonic()
            for client in self.clients:
                if self.sending and client.sends and now >= due[client.name]:
                    due[client.name] = max(due[client.name] + period, now - 1.0)
                    if len(client.outbox) < MAX_IN_FLIGHT and self.sent < MAX_MESSAGES:
                        client.send_new(now)
                        self.sent += 1
                client.resend_due(now)
            time.sleep(0.005)


def make_clients(world: FaultWorld) -> list[FaultClient]:
    clients = []
    for name, user, home in TABS:
        urls = [world.client_urls[home], *(u for i, u in enumerate(world.client_urls) if i != home)]
        clients.append(FaultClient(name, world.users[user].pk, world.cookies[user], world.chat_id, urls))
    return clients


def stored_rows(chat_id: int) -> list[StoredRow]:
    from django.db import connection
    from tandem.models import Message

    connection.close()  # a fault may have broken Django's own connection
    rows = Message.objects.filter(chat_id=chat_id).values_list("id", "seq", "sender_id", "client_id")
    return [StoredRow(*r) for r in rows]


def run_row(
    world: FaultWorld,
    row: str,
    fault: Callable[[FaultWorld, Traffic], None],
    *,
    warmup: float = 2.0,
    after: float = 4.0,
    expect_open: bool = True,
    check_presence: bool = True,
) -> RowResult:
    """Traffic, the fault (`fault` returns when it is over), traffic again, then the audit."""
    clients = make_clients(world)
    traffic = Traffic(clients)
    for client in clients:
        client.start()
    try:
        assert wait_until(lambda: all(c.connected for c in clients), 20), "the tabs did not connect"
        everyone_open = (
            time.monotonic() + 1.0
        )  # the snapshots of the first tabs rightly show later ones offline
        traffic.start()
        time.sleep(warmup)
        watched = world.live_sidecars()
        rss_before = [rss_bytes(s.process.pid) for s in watched]  # type: ignore[union-attr]
        fault(world, traffic)
        fault_end = time.monotonic()
        time.sleep(after)
        traffic.sending = False
        wait_until(lambda: all(not c.outbox for c in clients), 45)
        acked_ids = lambda: {a.id for d in clients for a in d.acks.values()}
        wait_until(lambda: all(acked_ids() <= c.held.keys() for c in clients), 15)
        presence_problem = presence_settles(world, clients, everyone_open) if check_presence else None
        usable = {c.name: c.ping() for c in clients if not c.closes}
        time.sleep(1.0)  # let freed buffers go back before measuring
        survivors = [s for s in watched if s.process is not None and s.process.poll() is None]
        rss_after = [rss_bytes(s.process.pid) for s in survivors]  # type: ignore[union-attr]
    finally:
        traffic.stop()
        for client in clients:
            client.stop()
    result = audit(row, clients, stored_rows(world.chat_id), fault_end)
    result.rss_before = [b for b, s in zip(rss_before, watched, strict=True) if s in survivors]
    result.rss_after = rss_after
    result.problems += [
        f"{name}'s socket stayed open but does not answer" for name, ok in usable.items() if not ok
    ]
    if presence_problem:
        result.problems.append(presence_problem)
    if expect_open and result.closes:
        closes = [(c.name, x.code, x.reason) for c in clients for x in c.closes]
        result.problems.append(f"sockets were closed: {closes}")
    for before, now in zip(result.rss_before, result.rss_after, strict=True):
        if now > max(before * RSS_GROWTH_FACTOR, before + RSS_GROWTH_BYTES):
            result.problems.append(f"RSS grew from {before >> 20} to {now >> 20} MiB")
    if result.problems:
        result.log_excerpt = [
            f"sidecar{i}: {line}" for i, s in enumerate(world.sidecars) for line in warnings_in(s.log())
        ]
    RESULTS.append(result)
    return result


def check_row(result: RowResult, capsys: Any) -> None:
    """Prints the row's table (even under pytest's capture), then holds it to the audit."""
    with capsys.disabled():
        print("\n" + result.table())
    assert result.lost == 0, result.table()
    assert result.duplicates == 0, result.table()
    assert not result.problems, result.table()
