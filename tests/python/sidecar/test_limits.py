"""Limits: oversize messages close with 1009, floods get rate_limited frames, a slow reader is
dropped with 1013 while others are served, and a user cannot open unlimited sockets."""

from __future__ import annotations

import json
import time

import pytest
from websockets.exceptions import ConnectionClosed
from wsclient import frame_of_type, greeting, next_frame, open_socket, refused_status


def test_an_oversize_message_closes_with_1009(world, make_sidecar) -> None:
    sidecar = make_sidecar(max_message_bytes=1024)
    with open_socket(sidecar.ws_url("/ws/notifications/"), world.cookie(world.ann)) as ws:
        greeting(ws)
        ws.send(json.dumps({"type": "ping", "pad": "x" * 2000}))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
    assert closed.value.rcvd.code == 1009


def test_a_flood_is_answered_with_rate_limited_and_the_socket_stays(world, make_sidecar) -> None:
    sidecar = make_sidecar(rate_messages_per_second=5, rate_burst=5)
    with open_socket(sidecar.ws_url("/ws/notifications/"), world.cookie(world.ann)) as ws:
        greeting(ws)
        for i in range(20):
            ws.send(json.dumps({"type": "ping", "ref": str(i)}))
        error = frame_of_type(ws, "error")
        assert error["code"] == "rate_limited"
        assert 0 < error["retry_after"] <= 1
        time.sleep(1.2)
        while True:  # drain the answers to the flood, then the socket still works
            try:
                ws.recv(timeout=0.3)
            except TimeoutError:
                break
        ws.send(json.dumps({"type": "ping", "ref": "after"}))
        assert frame_of_type(ws, "pong") == {"type": "pong", "ref": "after"}


def test_a_bad_frame_gets_a_typed_error_and_the_socket_stays(world, sidecar) -> None:
    with open_socket(sidecar.ws_url("/ws/notifications/"), world.cookie(world.ann)) as ws:
        greeting(ws)
        ws.send("not json")
        assert next_frame(ws)["code"] == "bad_frame"
        ws.send(json.dumps({"no": "type"}))
        error = next_frame(ws)
        assert (error["code"], error["number"]) == ("missing_field", 102)
        ws.send(json.dumps({"type": "ping", "ref": 1}))
        assert next_frame(ws) == {"type": "pong", "ref": "1"}


def test_a_user_over_the_connection_limit_gets_429(world, make_sidecar) -> None:
    sidecar = make_sidecar(max_connections_per_user=2)
    cookie = world.cookie(world.ann)
    url = sidecar.ws_url("/ws/notifications/")
    with open_socket(url, cookie) as a, open_socket(url, cookie) as b:
        next_frame(a)
        next_frame(b)
        assert refused_status(url, cookie) == 429
    deadline = time.monotonic() + 5
    while True:  # the slots come back when the sockets close
        try:
            with open_socket(url, cookie) as c:
                assert next_frame(c)["type"] == "hello"
            break
        except AssertionError:
            raise
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_a_slow_reader_is_dropped_while_others_are_served(world, make_sidecar, client) -> None:
    sidecar = make_sidecar(outbound_queue_frames=16, outbound_queue_bytes=1 << 20)
    code = None
    with (
        open_socket(sidecar.ws_url("/ws/notifications/"), world.cookie(world.ann), max_queue=1) as slow,
        open_socket(sidecar.ws_url("/ws/notifications/"), world.cookie(world.bob)) as fast,
    ):
        next_frame(fast)
        big = "x" * 60_000
        for _ in range(300):  # ~18 MB for ann, far more than socket buffers hold
            client.post(f"/notify/{world.ann.pk}/", {"text": big})
        client.post(f"/notify/{world.bob.pk}/", {"text": "still here"})
        assert frame_of_type(fast, "notification")["text"] == "still here"
        deadline = time.monotonic() + 10
        while code is None and time.monotonic() < deadline:
            try:
                slow.recv(timeout=1)
            except ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd else 1006
            except TimeoutError:
                pass
    assert code in (1013, 1006)
    assert "event=slow_reader_closed" in sidecar.log()
