"""A real `runworker tandem.bridge tandem.bridge.sync` process of the test project, on a real
Redis, shared by the tests of one module (starting Django takes a second)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from harness.django_process import django_env, start_manage, stop
from harness.redis_server import RedisServer


@pytest.fixture(scope="module")
def bridge_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("bridge") / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bridge_worker(bridge_redis: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The worker's log file; the worker reads the bridge channels until the module ends."""
    log_path = tmp_path_factory.mktemp("worker") / "runworker.log"
    with log_path.open("wb") as log:
        env = django_env(TANDEM_TEST_REDIS_URL=bridge_redis.url)
        worker = start_manage("runworker", "tandem.bridge", "tandem.bridge.sync", log=log, env=env)
        try:
            yield log_path
        finally:
            stop(worker)
