"""The bench-only websocket-shootout endpoint (docs/configuration.md, `bench_shootout_endpoint`):
off by default; when on, `echo` comes back to the sender and `broadcast` reaches every connection
of the endpoint on every I/O thread, then `broadcastResult` goes to the sender."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from harness.sidecar_process import SidecarProcess
from wsclient import frame_of_type, next_frame, open_socket, refused_status


def test_the_shootout_endpoint_is_off_by_default(transactional_db: None, sidecar: SidecarProcess) -> None:
    assert refused_status(sidecar.ws_url("/ws/shootout/"), None) == 404


def test_echo_and_broadcast_reach_every_connection_on_every_thread(
    transactional_db: None, make_sidecar: Callable[..., SidecarProcess]
) -> None:
    sidecar = make_sidecar(bench_shootout_endpoint=True, threads=2)
    with ExitStack() as stack:
        sockets = [stack.enter_context(open_socket(sidecar.ws_url("/ws/shootout/"), None, origin=None)) for _ in range(6)]
        echo = {"type": "echo", "payload": {"n": 1, "text": "héllo"}}
        sockets[3].send(json.dumps(echo))
        assert next_frame(sockets[3], timeout=20) == echo

        payload: Any = {"sent": 1764619200123, "padding": "x" * 100}
        sockets[0].send(json.dumps({"type": "broadcast", "payload": payload}))
        for ws in sockets:
            assert frame_of_type(ws, "broadcast", timeout=20) == {"type": "broadcast", "payload": payload}
        assert frame_of_type(sockets[0], "broadcastResult", timeout=20) == {"type": "broadcastResult", "payload": payload}

        sockets[1].send("not json")
        assert next_frame(sockets[1], timeout=20)["type"] == "error"
        sockets[1].send(json.dumps({"type": "echo", "payload": "still open"}))
        assert next_frame(sockets[1], timeout=20)["payload"] == "still open"
