"""Hostile input: deep nesting. Every client frame is refused with bad_frame past
max_frame_depth before any parser sees it, on every endpoint and frame type, with stacks of
1 MiB and the largest frame the sidecar accepts; the deepest allowed frame still reaches the
bridge intact."""

from __future__ import annotations

import json
from typing import Any

from harness.python_layer import python_layer, receive, run
from hostile import honest_exchange
from wsclient import greeting, next_frame, open_socket

MAX_BYTES = 1 << 20  # the frame size these probes use (configurable up to 16 MiB)
SMALL_STACK = {"stack": (1 << 20, 1 << 20)}  # 1 MiB stacks for every thread
TYPES = ["zz", "send", "typing", "sync", "history", "read", "ping"]  # bridged, chat, built-in


def deep_frame(frame_type: str, size: int) -> str:
    """{"type":T,"x":[[[...]]]} exactly `size` bytes long, as deep as that allows."""
    head = json.dumps({"type": frame_type, "x": None})[:-5] + ":"
    levels = (size - len(head) - 1) // 2
    return head + "[" * levels + "]" * levels + "}"


def nested_to(depth: int, pad: int = 0) -> dict[str, Any]:
    """A frame of exactly `depth` levels (the frame object is level 1), padded with `pad` bytes."""
    inner: Any = {"pad": "p" * pad} if depth >= 2 else None
    for _ in range(depth - 2):
        inner = [inner]
    frame: dict[str, Any] = {"type": "zz", "ref": "deep"}
    if inner is not None:
        frame["x"] = inner
    return frame


def assert_too_deep(error: dict[str, Any], limit: int) -> None:
    assert error["type"] == "error", error
    assert error["code"] == "bad_frame", error
    assert f"deeper than {limit} levels" in error["message"], error


def test_deep_nesting_is_bad_frame_on_every_endpoint_and_type(world, make_sidecar) -> None:
    sidecar = make_sidecar(max_message_bytes=MAX_BYTES, rlimits=SMALL_STACK)
    for path in ("/ws/notifications/", f"/ws/chat/{world.chat.pk}/"):
        with open_socket(sidecar.ws_url(path), world.cookie(world.ann), max_size=None) as ws:
            greeting(ws)
            for frame_type in TYPES:
                for size in (16_000, MAX_BYTES):  # 8,000 levels crashed the bridge path before
                    ws.send(deep_frame(frame_type, size))
                    assert_too_deep(next_frame(ws, timeout=30), 32)
            ws.send(json.dumps({"type": "ping", "ref": "after"}))
            assert next_frame(ws) == {"type": "pong", "ref": "after"}
    honest_exchange(sidecar, world)


def test_the_deepest_allowed_frame_of_the_largest_size_reaches_the_bridge(
    world, make_sidecar, channel_layer_redis
) -> None:
    sidecar = make_sidecar(max_message_bytes=MAX_BYTES, rlimits=SMALL_STACK)
    frame = nested_to(32)
    frame["x"] = nested_to(32, pad=MAX_BYTES - len(json.dumps(frame)) - 200)["x"]
    text = json.dumps(frame)
    assert MAX_BYTES - 300 < len(text) <= MAX_BYTES
    with open_socket(sidecar.ws_url("/ws/notifications/"), world.cookie(world.ann), max_size=None) as ws:
        greeting(ws)
        ws.send(text)
        event = run(receive(python_layer([channel_layer_redis]), "tandem.bridge", timeout=30))
        assert event["frame"] == frame
        assert event["user_id"] == world.ann.pk
        ws.send(json.dumps(nested_to(33)))
        assert_too_deep(next_frame(ws), 32)
    honest_exchange(sidecar, world)


def test_max_frame_depth_is_a_setting(world, make_sidecar) -> None:
    sidecar = make_sidecar(max_frame_depth=4)
    with open_socket(sidecar.ws_url("/ws/notifications/"), world.cookie(world.ann)) as ws:
        greeting(ws)
        ws.send(json.dumps({"type": "ping", "ref": "r", "x": [[[1]]]}))
        assert next_frame(ws) == {"type": "pong", "ref": "r"}
        ws.send(json.dumps({"type": "ping", "ref": "r", "x": [[[[1]]]]}))
        assert_too_deep(next_frame(ws), 4)
    honest_exchange(sidecar, world)
