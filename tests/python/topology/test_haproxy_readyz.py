"""docs/deployment.md's HAProxy backend against real processes: HAProxy checks /readyz on the
admin port, so a process that starts draining (SIGTERM) is taken out of the pool by its 503
within one check interval, not by a refused connection later; its sockets get 1012, reconnect
through HAProxy to the others, and the restarted process rejoins after `rise` good checks."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from haproxy_proxy import HaproxyProxy
from harness.postgres_server import PostgresServer
from harness.redis_server import RedisServer, free_port
from harness.sidecar_process import SidecarProcess
from polling import poll
from user_session import login
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

pytestmark = pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed")
CHECK_INTERVAL_S = 1  # `inter 1s fall 1` in the guide


class AdminPortSidecar(SidecarProcess):
    """A sidecar with `admin_listen` on its own port, as the guide deploys it."""

    def __init__(self, workdir: Path, **config: Any) -> None:
        self.admin_port = free_port()
        super().__init__(workdir, admin_listen=f"127.0.0.1:{self.admin_port}", **config)

    def get(self, path: str) -> tuple[int, str]:
        port, self.port = self.port, self.admin_port
        try:
            return super().get(path)
        finally:
            self.port = port


@pytest.fixture
def two_sidecars(
    tmp_path: Path, postgres_server: PostgresServer, channel_layer_redis: RedisServer, settings: Any
) -> Iterator[list[AdminPortSidecar]]:
    from django.db import connection

    config = {
        "database": postgres_server.conninfo(connection.settings_dict["NAME"]),
        "redis_hosts": [channel_layer_redis.url],
        "secret_key": settings.SECRET_KEY,
        "allowed_hosts": list(settings.ALLOWED_HOSTS),
        "threads": 1,
    }
    processes = [AdminPortSidecar(tmp_path / f"sidecar-{name}", **config) for name in "ab"]
    for process in processes:
        process.start()
    yield processes
    for process in processes:
        process.stop()


def open_socket(url: str, cookie: str) -> ClientConnection:
    ws = connect(
        url, additional_headers={"Cookie": f"sessionid={cookie}"}, origin="http://localhost"
    ).__enter__()
    while json.loads(ws.recv(timeout=10))["type"] != "hello":
        pass
    return ws


def silent_socket(port: int, cookie: str) -> socket.socket:
    """A WebSocket that never reads again after the upgrade, so it never answers the server's
    close: it keeps a drain waiting (up to the close timeout) while /readyz says 503."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    raw.sendall(
        (
            f"GET /ws/notifications/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: http://localhost\r\nCookie: sessionid={cookie}\r\n\r\n"
        ).encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        response += raw.recv(1)  # byte by byte: leave the frames that follow unread
    assert response.startswith(b"HTTP/1.1 101"), response
    return raw


def test_haproxy_takes_a_draining_process_out_on_its_readyz_503(
    transactional_db: None, tmp_path: Path, django_user_model: Any, two_sidecars: list[AdminPortSidecar]
) -> None:
    draining, other = two_sidecars
    ann = django_user_model.objects.create_user("ann", password="pw-ann")
    cookie = login(ann)
    proxy = HaproxyProxy(tmp_path / "haproxy", [(p.port, p.admin_port) for p in two_sidecars]).start()
    try:
        poll(lambda: {s["status"] for s in proxy.servers().values()} == {"UP"}, 15, "both servers UP")
        # leastconn: two sockets through HAProxy land one on each process.
        sockets = [open_socket(proxy.ws_url("/ws/notifications/"), cookie) for _ in range(2)]
        held = silent_socket(draining.port, cookie)

        signalled = time.monotonic()
        draining.process.send_signal(signal.SIGTERM)
        # The silent socket holds the drain for the close timeout (3 s), longer than one check
        # interval: the check that takes the server out must be a 503 from /readyz, not a refused
        # connection after the exit.
        marked: dict[str, str] = {}

        def marked_down() -> bool:
            marked.update(proxy.servers()["s0"])
            return marked["status"] == "DOWN"

        poll(marked_down, 3 * CHECK_INTERVAL_S + 3, "the draining server marked DOWN")
        out_after = time.monotonic() - signalled
        assert (marked["check_status"], marked["check_code"]) == ("L7STS", "503"), marked
        print(
            f"\nHAProxy marked the draining process DOWN {out_after:.2f} s after SIGTERM (503 from /readyz)"
        )

        closes = []
        for ws in sockets:
            try:
                while True:
                    ws.recv(timeout=1)
            except ConnectionClosed as closed:
                closes.append(closed.rcvd.code if closed.rcvd else None)
            except TimeoutError:
                closes.append("still open")
        assert sorted(closes, key=str) == [1012, "still open"], closes

        # The socket that got 1012 comes back through HAProxy, to the other process.
        again = open_socket(proxy.ws_url("/ws/notifications/"), cookie)
        assert other.get("/metrics")[1].count("\ntandem_connections 2\n") == 1
        for ws in [*sockets, again]:
            ws.close()
        held.close()
        assert draining.process.wait(timeout=20) == 0

        draining.start()
        rejoined = poll(
            lambda: proxy.servers()["s0"]["status"] == "UP", 4 * CHECK_INTERVAL_S + 5, "s0 UP again"
        )
        print(f"the restarted process was back in the pool after {rejoined:.2f} s")
    finally:
        proxy.stop()
