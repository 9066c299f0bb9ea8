"""A stand-in for tandem-sidecar that speaks just enough of docs/protocol.md for the tests of
`manage.py tandem check` (health endpoints, the notification socket, `notification` events);
those tests move to the real binary once it serves WebSockets."""

from __future__ import annotations

import asyncio
import json
import threading
from http import HTTPStatus
from http.cookies import SimpleCookie
from importlib import import_module
from typing import Any

from channels_redis.core import RedisChannelLayer
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import connection
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response


def session_user(cookie_header: str) -> str | None:
    """The user id of the session a Cookie header names (in a worker thread: Django's ORM)."""
    morsel = SimpleCookie(cookie_header).get(settings.SESSION_COOKIE_NAME)
    try:
        if morsel is None:
            return None
        return import_module(settings.SESSION_ENGINE).SessionStore(morsel.value).get(SESSION_KEY)
    finally:
        connection.close()  # a thread's leftover connection would block dropping the test database


class FakeSidecar:
    def __init__(self, redis_url: str, origins: set[str]) -> None:
        self.redis_url = redis_url
        self.origins = origins
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(
            target=self._loop.run_until_complete, args=(self._main(),), daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("the fake sidecar did not start")

    def stop(self) -> None:
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self._loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        self.layer = RedisChannelLayer(hosts=[self.redis_url])
        server: Server
        async with serve(self._socket, "127.0.0.1", 0, process_request=self._http) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._started.set()
            await self._stop.wait()
        await self.layer.close_pools()

    async def _http(self, conn: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?")[0]
        if path in {"/healthz", "/readyz"}:
            return conn.respond(HTTPStatus.OK, "ok\n")
        if path != "/ws/notifications/":
            return conn.respond(HTTPStatus.NOT_FOUND, "not found\n")
        if request.headers.get("Origin") not in self.origins:
            return conn.respond(HTTPStatus.FORBIDDEN, "origin not allowed\n")
        user_id = await asyncio.to_thread(session_user, request.headers.get("Cookie", ""))
        if user_id is None:
            return conn.respond(HTTPStatus.UNAUTHORIZED, "no session\n")
        conn.user_id = int(user_id)  # type: ignore[attr-defined]
        return None

    async def _socket(self, conn: ServerConnection) -> None:
        user_id: int = conn.user_id  # type: ignore[attr-defined]
        channel = await self.layer.new_channel()
        await self.layer.group_add(f"user_{user_id}", channel)
        await conn.send(json.dumps({"type": "hello", "v": 1, "user_id": user_id, "chat_id": None}))
        forward = asyncio.create_task(self._forward(conn, channel))
        try:
            await conn.wait_closed()
        finally:
            forward.cancel()
            await self.layer.group_discard(f"user_{user_id}", channel)

    async def _forward(self, conn: ServerConnection, channel: str) -> None:
        while True:
            event: dict[str, Any] = await self.layer.receive(channel)
            if event.get("type") == "notification":
                await conn.send(json.dumps(event))
