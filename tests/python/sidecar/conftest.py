"""A running sidecar against the test's real PostgreSQL (the pytest-django test database, with
committed rows: `transactional_db`) and a real Redis, plus users, a chat and session cookies
made by real Django logins."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from harness.postgres_server import PostgresServer
from harness.redis_server import RedisServer
from harness.sidecar_process import SidecarProcess

ORIGIN = "http://localhost"


@dataclass
class World:
    ann: Any
    bob: Any
    eve: Any  # not in the chat
    chat: Any
    cookie: Callable[[Any], str]


@pytest.fixture
def world(transactional_db: None, django_user_model: Any, session_cookie: Callable[[Any], str]) -> World:
    from tandem.models import Chat

    ann = django_user_model.objects.create_user("ann", password="pw-ann")
    bob = django_user_model.objects.create_user("bob", password="pw-bob")
    eve = django_user_model.objects.create_user("eve", password="pw-eve")
    chat = Chat.create_with_members([ann, bob])
    return World(ann, bob, eve, chat, session_cookie)


@pytest.fixture
def make_sidecar(
    tmp_path: Path, postgres_server: PostgresServer, channel_layer_redis: RedisServer, settings: Any
) -> Iterator[Callable[..., SidecarProcess]]:
    from django.db import connection

    started: list[SidecarProcess] = []

    def make(
        wait_ready: bool = True, rlimits: dict[str, tuple[int, int]] | None = None, **overrides: Any
    ) -> SidecarProcess:
        config: dict[str, Any] = {
            "database": postgres_server.conninfo(connection.settings_dict["NAME"]),
            "redis_hosts": [channel_layer_redis.url],
            "secret_key": settings.SECRET_KEY,
            "allowed_hosts": list(settings.ALLOWED_HOSTS),
            "log_level": "debug",
            **overrides,
        }
        sidecar = SidecarProcess(tmp_path / f"sidecar{len(started)}", rlimits=rlimits, **config)
        started.append(sidecar)
        return sidecar.start(wait_ready=wait_ready)

    yield make
    for sidecar in started:
        sidecar.stop()


@pytest.fixture
def sidecar(make_sidecar: Callable[..., SidecarProcess]) -> SidecarProcess:
    return make_sidecar()
