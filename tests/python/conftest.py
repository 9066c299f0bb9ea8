"""Shared test setup: hypothesis runs every property at least 300 times; real PostgreSQL (started
once, only when a test asks for the database) and real Redis behind the Django settings."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from harness.postgres_server import PostgresServer
from harness.redis_server import RedisServer

hypothesis.settings.register_profile(
    "tandem", max_examples=300, deadline=None, suppress_health_check=[hypothesis.HealthCheck.too_slow]
)
hypothesis.settings.load_profile("tandem")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL for the whole session; tests without the database never start it."""
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, postgres_server: PostgresServer
) -> None:
    """pytest-django's hook, run before it creates the test database: point Django at the
    harness server (in place, as the connection handler shares this dict)."""
    from django.conf import settings

    settings.DATABASES["default"].update(postgres_server.django_settings())
    settings.DATABASES["chats"].update(postgres_server.django_settings(f"{postgres_server.dbname}_chats"))


@pytest.fixture
def channel_layer_redis(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RedisServer]:
    """A Redis server behind CHANNEL_LAYERS["default"], here and in child processes."""
    server = RedisServer(tmp_path / "layer-redis")
    server.start()
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [server.url]}}
    }
    monkeypatch.setenv("TANDEM_TEST_REDIS_URL", server.url)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def no_publishes_held_across_tests(request: pytest.FixtureRequest) -> Iterator[None]:
    """Django holds what the channel layer refused and publishes it once the layer answers
    (tandem.publishing): a test that ends with some held must not have them land in the next
    test's layer. The settings this test changes are set up here first, so they are restored
    only after the worker has stopped."""
    if "settings" in request.fixturenames:
        request.getfixturevalue("settings")
    yield
    publishing = sys.modules.get("tandem.publishing")
    if publishing is not None:
        publishing.republisher.forget(wait_s=30.0)


@pytest.fixture
def session_cookie(client: Any) -> Callable[[Any], str]:
    """Logs a user in through Django's test client; returns the session cookie's value. With
    `transactional_db` the session row is committed, so another process (the sidecar) sees it."""

    def login(user: Any) -> str:
        from django.conf import settings

        client.force_login(user)
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    return login
