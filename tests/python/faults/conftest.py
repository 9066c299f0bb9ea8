"""The fault matrix's world: three users in one group chat, a Redis of its own, the session's
PostgreSQL, and two sidecar processes reached directly or, for the network rows, through
Toxiproxy (clients to each sidecar, each sidecar to Redis and to PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from faults.audit import SUMMARY_HEADER
from faults.matrix import RESULTS, FaultWorld
from harness.postgres_server import PostgresServer
from harness.redis_server import RedisServer
from harness.sidecar_process import SidecarProcess
from harness.toxiproxy_server import ToxiproxyServer

# A short presence lease so that both Redis pauses (10 s and 20 s) outlast it and the rows stay
# quick; a short db_timeout so that refused sends come back fast; a sync limit above any gap a
# row makes, so that no tab is told to reload (the emulated client does not page history).
SIDECAR_SETTINGS: dict[str, Any] = {
    "presence_heartbeat": 2,
    "presence_lease_ttl": 6,
    "presence_grace": 1,
    "db_timeout": 2,
    "sync_max_messages": 100000,
    "log_level": "info",
}


def own_session(user: Any) -> str:
    """A session cookie of its own (one test client logging in someone else would end it)."""
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@pytest.fixture
def trio(transactional_db: None, django_user_model: Any) -> tuple[dict[str, Any], int]:
    from tandem.models import Chat

    users = {
        name: django_user_model.objects.create_user(name, password=f"pw-{name}")
        for name in ("ann", "bob", "cy")
    }
    return users, Chat.create_with_members(list(users.values())).pk


@pytest.fixture
def start_sidecar(tmp_path: Path, settings: Any) -> Iterator[Callable[..., SidecarProcess]]:
    started: list[SidecarProcess] = []

    def start(database: str, redis_url: str) -> SidecarProcess:
        sidecar = SidecarProcess(
            tmp_path / f"sidecar{len(started)}",
            database=database,
            redis_hosts=[redis_url],
            secret_key=settings.SECRET_KEY,
            allowed_hosts=list(settings.ALLOWED_HOSTS),
            **SIDECAR_SETTINGS,
        )
        started.append(sidecar)
        return sidecar.start()

    yield start
    for sidecar in started:
        sidecar.stop()


def dbname() -> str:
    from django.db import connection

    return connection.settings_dict["NAME"]


@pytest.fixture
def fault_world(
    trio: tuple[dict[str, Any], int],
    postgres_server: PostgresServer,
    channel_layer_redis: RedisServer,
    start_sidecar: Callable[..., SidecarProcess],
) -> FaultWorld:
    users, chat_id = trio
    name = dbname()
    sidecars = [start_sidecar(postgres_server.conninfo(name), channel_layer_redis.url) for _ in range(2)]
    return FaultWorld(
        users=users,
        cookies={n: own_session(u) for n, u in users.items()},
        chat_id=chat_id,
        sidecars=sidecars,
        client_urls=[s.ws_url(f"/ws/chat/{chat_id}/") for s in sidecars],
        redis=channel_layer_redis,
        postgres=postgres_server,
        dbname=name,
    )


@pytest.fixture
def toxiproxy(tmp_path: Path) -> Iterator[ToxiproxyServer]:
    server = ToxiproxyServer(tmp_path / "toxiproxy").start()
    yield server
    server.stop()


@pytest.fixture
def proxied_fault_world(
    trio: tuple[dict[str, Any], int],
    postgres_server: PostgresServer,
    channel_layer_redis: RedisServer,
    start_sidecar: Callable[..., SidecarProcess],
    toxiproxy: ToxiproxyServer,
) -> FaultWorld:
    """Proxies named client0/1, redis0/1 and postgres0/1 (one per sidecar and link)."""
    users, chat_id = trio
    name = dbname()
    sidecars = []
    for i in range(2):
        redis_port = toxiproxy.proxy(f"redis{i}", channel_layer_redis.port)
        pg_port = toxiproxy.proxy(f"postgres{i}", postgres_server.port)
        conninfo = postgres_server.conninfo(name).replace(f"port={postgres_server.port}", f"port={pg_port}")
        sidecars.append(start_sidecar(conninfo, f"redis://127.0.0.1:{redis_port}/0"))
    client_ports = [toxiproxy.proxy(f"client{i}", s.port) for i, s in enumerate(sidecars)]
    return FaultWorld(
        users=users,
        cookies={n: own_session(u) for n, u in users.items()},
        chat_id=chat_id,
        sidecars=sidecars,
        client_urls=[f"ws://127.0.0.1:{p}/ws/chat/{chat_id}/" for p in client_ports],
        redis=channel_layer_redis,
        postgres=postgres_server,
        dbname=name,
        toxiproxy=toxiproxy,
    )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if RESULTS:
        terminalreporter.section("fault matrix")
        terminalreporter.write_line(SUMMARY_HEADER)
        for result in RESULTS:
            terminalreporter.write_line(result.summary_line())
