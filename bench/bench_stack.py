"""What the benchmarks stand on: a throwaway PostgreSQL and Redis on loopback, Django set up
against them and migrated, users with their own sessions, and sidecar processes."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "python"), str(ROOT / "django_integration"), str(ROOT / "bench")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testproject.settings")


@dataclass
class Stack:
    pg: Any
    redis: Any
    work: Path
    sidecars: list[Any] = field(default_factory=list)

    def sidecar(self, **config: Any) -> Any:
        from django.conf import settings
        from harness.sidecar_process import SidecarProcess

        process = SidecarProcess(
            self.work / f"sidecar{len(self.sidecars)}",
            database=self.pg.conninfo(),
            redis_hosts=[self.redis.url],
            secret_key=settings.SECRET_KEY,
            allowed_hosts=["localhost"],
            log_level="warn",
            **config,
        )
        self.sidecars.append(process)
        return process.start()


def session_of(user: Any) -> str:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


async def open_ws(url: str, cookie: str) -> Any:
    """An authenticated socket past its hello (the asyncio websockets client)."""
    from websockets.asyncio.client import connect

    ws = await connect(
        url,
        additional_headers={"Cookie": f"sessionid={cookie}"},
        origin="http://localhost",
        ping_interval=None,
    )
    await ws.recv()  # hello
    return ws


@asynccontextmanager
async def django_stack() -> AsyncIterator[Stack]:
    import django
    from django.conf import settings
    from harness.postgres_server import PostgresServer
    from harness.redis_server import RedisServer

    work = Path(tempfile.mkdtemp(prefix="tandem-bench-"))
    pg = PostgresServer()
    pg.start()
    redis = RedisServer(work / "redis")
    redis.start()
    stack = Stack(pg, redis, work)
    try:
        settings.DATABASES["default"].update(pg.django_settings())
        settings.CHANNEL_LAYERS = {
            "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [redis.url]}}
        }
        django.setup()
        from django.core.management import call_command

        await asyncio.to_thread(call_command, "migrate", verbosity=0)
        yield stack
    finally:
        for process in stack.sidecars:
            process.stop()
        redis.stop()
        pg.stop()
