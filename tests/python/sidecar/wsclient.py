"""Small helpers over the websockets sync client for the sidecar tests."""

from __future__ import annotations

import json
from typing import Any

from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

ORIGIN = "http://localhost"


def open_socket(
    url: str, cookie: str | None, *, origin: str | None = ORIGIN, **kwargs: Any
) -> ClientConnection:
    headers = {"Cookie": f"sessionid={cookie}"} if cookie is not None else {}
    return connect(url, additional_headers=headers, origin=origin, open_timeout=10, **kwargs)


def refused_status(url: str, cookie: str | None, *, origin: str | None = ORIGIN) -> int:
    """The HTTP status the upgrade was refused with (fails the test if it was accepted)."""
    try:
        with open_socket(url, cookie, origin=origin):
            pass
    except InvalidStatus as refused:
        return refused.response.status_code
    raise AssertionError(f"{url} accepted the upgrade")


def next_frame(ws: ClientConnection, timeout: float = 5) -> dict[str, Any]:
    return json.loads(ws.recv(timeout=timeout))


def frame_of_type(ws: ClientConnection, frame_type: str, timeout: float = 5) -> dict[str, Any]:
    """The next frame with this type, skipping others (e.g. hello)."""
    while True:
        frame = next_frame(ws, timeout)
        if frame["type"] == frame_type:
            return frame


def greeting(ws: ClientConnection, timeout: float = 5) -> dict[str, Any]:
    """Reads what every socket gets first: hello, then the presence snapshot. Returns hello."""
    hello = next_frame(ws, timeout)
    assert hello["type"] == "hello", hello
    snapshot = next_frame(ws, timeout)
    assert snapshot["type"] == "presence", snapshot
    return hello
