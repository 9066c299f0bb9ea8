"""`manage.py tandem check`: every hop between Django and a browser, tried for real, in order:
Redis through the channel layer, the sidecar's health endpoints, a logged-in WebSocket, and a
group_send from Django arriving on that socket."""

from __future__ import annotations

import asyncio
import functools
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin

from tandem.groups import user_group
from tandem.sidecar.hop import Hop, HopFailed, attempt, skipped
from tandem.sidecar.login_session import close_session, open_session

# What a refusal before the upgrade most likely means (docs/protocol.md, the handshake).
STATUS_HINTS = {
    400: "the sidecar refused the upgrade request",
    401: "the session was refused: do the sidecar and Django share SECRET_KEY, the session engine and the database?",
    403: "the Origin was refused: check ALLOWED_HOSTS / CSRF_TRUSTED_ORIGINS, or pass --origin",
    404: "no /ws/notifications/ there: does --url point at the sidecar?",
    429: "this user holds too many sockets (max_connections_per_user)",
    503: "the sidecar is draining, full, or cannot reach PostgreSQL",
}


@dataclass(frozen=True)
class Target:
    url: str  # ws://host:port of the sidecar
    admin_url: str  # http://host:port serving /healthz and /readyz
    origin: str
    username: str | None
    timeout: float


def http_status(url: str, timeout: float) -> int:
    # No proxies: an HTTP_PROXY in the environment must not stand between us and the sidecar.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except urllib.error.URLError as error:
        reason = error.reason
        raise HopFailed(f"{url}: {getattr(reason, 'strerror', None) or reason}") from None


async def check_redis() -> str:
    layer = get_channel_layer()
    if layer is None:
        raise HopFailed("CHANNEL_LAYERS has no default layer")
    channel = await layer.new_channel()
    nonce = secrets.token_hex(8)
    await layer.send(channel, {"type": "tandem.check", "nonce": nonce})
    message = await layer.receive(channel)
    if message.get("nonce") != nonce:
        raise HopFailed(f"received {message!r} instead of the message sent")
    return f"sent and received on {channel}"


async def check_endpoint(admin_url: str, path: str, timeout: float) -> str:
    url = admin_url.rstrip("/") + path
    status = await asyncio.to_thread(http_status, url, timeout)
    if status != 200:
        raise HopFailed(f"{url} answered HTTP {status}")
    return f"{url} answered 200"


async def open_socket(target: Target, cookie: str, user_id: Any) -> ClientConnection:
    url = target.url.rstrip("/") + "/ws/notifications/"
    try:
        socket = await connect(
            url,
            origin=Origin(target.origin),
            additional_headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"},
            open_timeout=target.timeout,
            proxy=None,  # as above: straight to the sidecar
        )
    except InvalidStatus as refusal:
        status = refusal.response.status_code
        raise HopFailed(f"{url}: HTTP {status}, {STATUS_HINTS.get(status, 'refused')}") from None
    except OSError as error:
        raise HopFailed(f"{url}: {error.strerror or error}") from None
    hello = json.loads(await socket.recv())
    if hello.get("type") != "hello" or str(hello.get("user_id")) != str(user_id):
        await socket.close()
        raise HopFailed(f"expected hello for user {user_id}, got {hello!r}")
    return socket


async def await_notification(socket: ClientConnection, user_id: Any) -> str:
    text = f"tandem check {secrets.token_hex(8)}"
    await get_channel_layer().group_send(user_group(user_id), {"type": "notification", "text": text})
    while True:  # other frames (a real notification for this user, pongs) may come first
        frame = json.loads(await socket.recv())
        if frame.get("type") == "notification" and frame.get("text") == text:
            return f"group_send to {user_group(user_id)} arrived on the socket"


async def run_checks(target: Target, report: Callable[[Hop], None]) -> list[Hop]:
    """Runs the hops in order, reporting each as it finishes; a hop whose prerequisite failed
    is reported as not run."""
    hops: list[Hop] = []

    def done(hop: Hop) -> Hop:
        hops.append(hop)
        report(hop)
        return hop

    layer = get_channel_layer()
    try:
        redis = done(await attempt("redis", check_redis, target.timeout))
        for path in ("/healthz", "/readyz"):
            step = functools.partial(check_endpoint, target.admin_url, path, target.timeout)
            done(await attempt(path.strip("/"), step, target.timeout))
        if target.username is None:
            for name in ("session", "websocket", "notification"):
                done(skipped(name, "pass --user USERNAME to log a user in"))
            return hops
        await socket_hops(target, bool(redis.ok), done)
    finally:
        if layer is not None and hasattr(layer, "close_pools"):
            await layer.close_pools()  # the pools belong to this event loop, which ends here
    return hops


async def socket_hops(target: Target, redis_ok: bool, done: Callable[[Hop], Hop]) -> None:
    assert target.username is not None
    opened: dict[str, Any] = {}

    async def login() -> str:
        store, user = await database_sync_to_async(open_session)(target.username)
        opened.update(store=store, user_id=user.pk)
        return f"session for {target.username} (user {user.pk}), engine {settings.SESSION_ENGINE.rsplit('.', 1)[-1]}"

    async def websocket() -> str:
        opened["socket"] = await open_socket(target, opened["store"].session_key, opened["user_id"])
        return f"hello for user {opened['user_id']} with Origin {target.origin}"

    try:
        if not done(await attempt("session", login, target.timeout)).ok:
            done(skipped("websocket", "no session"))
            done(skipped("notification", "no session"))
            return
        if not done(await attempt("websocket", websocket, target.timeout)).ok:
            done(skipped("notification", "no socket"))
            return
        if not redis_ok:
            done(skipped("notification", "Redis is unreachable"))
            return
        step = functools.partial(await_notification, opened["socket"], opened["user_id"])
        done(await attempt("notification", step, target.timeout))
    finally:
        if "socket" in opened:
            await opened["socket"].close()
        if "store" in opened:
            await database_sync_to_async(close_session)(opened["store"])
