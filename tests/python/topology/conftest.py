"""The production topology on loopback: three sidecar processes (as if on three hosts, each on
its own port) behind Debian's nginx with examples/nginx.conf's routing, two Redis shards, one
PostgreSQL (the pytest-django test database, with committed rows)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness.postgres_server import PostgresServer
from harness.redis_server import RedisServer
from harness.sidecar_process import SidecarProcess
from nginx_proxy import NginxProxy

# Short presence intervals, so a process killed with -9 is swept within seconds.
FAST_PRESENCE = {"presence_heartbeat": 0.5, "presence_lease_ttl": 2.0, "presence_grace": 1.0}


@pytest.fixture
def presence_intervals() -> dict[str, float]:
    return FAST_PRESENCE


@pytest.fixture
def second_shard(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis-shard-2")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sidecars(
    tmp_path: Path,
    postgres_server: PostgresServer,
    channel_layer_redis: RedisServer,
    second_shard: RedisServer,
    settings: Any,
) -> Iterator[list[SidecarProcess]]:
    from django.conf import settings as django_settings
    from django.db import connection

    shards = [channel_layer_redis.url, second_shard.url]
    # Django's layer sees the same shard ring as the sidecars, in the same order.
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": shards}}
    }
    config = {
        "database": postgres_server.conninfo(connection.settings_dict["NAME"]),
        "redis_hosts": shards,
        "secret_key": django_settings.SECRET_KEY,
        "allowed_hosts": list(django_settings.ALLOWED_HOSTS),
        "threads": 1,
        **FAST_PRESENCE,
    }
    processes = [SidecarProcess(tmp_path / f"sidecar-{name}", **config) for name in "abc"]
    for process in processes:
        process.start()
    yield processes
    for process in processes:
        process.stop()


@pytest.fixture
def nginx(tmp_path: Path, sidecars: list[SidecarProcess]) -> Iterator[NginxProxy]:
    proxy = NginxProxy(tmp_path / "nginx", [process.port for process in sidecars]).start()
    yield proxy
    proxy.stop()
