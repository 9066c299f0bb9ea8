"""The swap-in as a user does it: `manage.py tandem` derives the configuration from Django
settings and execs the real sidecar, which then accepts that site's logged-in users; draining
leaves the channel-layer groups it joined."""

from __future__ import annotations

import contextlib
import signal
import time
import urllib.request

from harness.django_process import start_manage, stop
from harness.redis_server import free_port
from harness.sidecar_process import sidecar_binary
from websockets.exceptions import ConnectionClosed
from wsclient import greeting, next_frame, open_socket


def wait_ready(port: int, limit_s: float = 20) -> None:
    deadline = time.monotonic() + limit_s
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)


def test_manage_py_tandem_runs_the_sidecar_from_django_settings(world, channel_layer_redis, tmp_path) -> None:
    port = free_port()
    with (tmp_path / "tandem.log").open("wb") as log:
        process = start_manage(
            "tandem",
            "--sidecar",
            str(sidecar_binary()),
            "--",
            "--listen",
            f"127.0.0.1:{port}",
            "--threads",
            "1",
            log=log,
        )
    try:
        wait_ready(port)
        with open_socket(f"ws://127.0.0.1:{port}/ws/chat/{world.chat.pk}/", world.cookie(world.bob)) as ws:
            assert next_frame(ws)["user_id"] == world.bob.pk
    finally:
        stop(process)
    assert process.returncode == 0, (tmp_path / "tandem.log").read_text()


def test_a_drain_leaves_the_groups_its_sockets_joined(world, sidecar, channel_layer_redis) -> None:
    redis = channel_layer_redis.client()
    group_key = f"asgi:group:user_{world.ann.pk}"
    with open_socket(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/"), world.cookie(world.ann)) as ws:
        greeting(ws)
        assert redis.zcard(group_key) == 1
        assert redis.zcard(f"asgi:group:chat_{world.chat.pk}") == 1
        sidecar.process.send_signal(signal.SIGTERM)
        with contextlib.suppress(ConnectionClosed):
            ws.recv(timeout=10)
        assert sidecar.process.wait(timeout=15) == 0
    assert redis.zcard(group_key) == 0
    assert redis.zcard(f"asgi:group:chat_{world.chat.pk}") == 0
