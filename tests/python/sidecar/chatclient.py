"""A test client for the messaging frames: sends them and waits for the frames that answer."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection

Frame = dict[str, Any]


def send_frame(ws: ClientConnection, frame_type: str, **fields: Any) -> None:
    ws.send(json.dumps({"type": frame_type, **fields}))


def wait_for(ws: ClientConnection, match: Callable[[Frame], bool], timeout: float = 10) -> Frame:
    """The first frame that matches, skipping the others; fails the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("no matching frame in time")
        frame = json.loads(ws.recv(timeout=left))
        if match(frame):
            return frame


def of_type(frame_type: str, **fields: Any) -> Callable[[Frame], bool]:
    return lambda f: f["type"] == frame_type and all(f.get(k) == v for k, v in fields.items())


def frames_within(ws: ClientConnection, seconds: float) -> list[Frame]:
    """Every frame that arrives within `seconds` (to show that nothing more was sent)."""
    frames: list[Frame] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            frames.append(json.loads(ws.recv(timeout=left)))
        except TimeoutError:
            break
        except ConnectionClosed:
            break
    return frames


def send_message(ws: ClientConnection, client_id: str, body: str, **fields: Any) -> Frame:
    """Sends and returns the ack (or the error answering it)."""
    send_frame(ws, "send", client_id=client_id, body=body, **fields)
    return wait_for(
        ws,
        lambda f: (
            f["type"] in ("ack", "error") and f.get("client_id" if f["type"] == "ack" else "ref") == client_id
        ),
    )


def synced_client_ids(ws: ClientConnection, chat: int, after: int, ref: str) -> set[str]:
    """Sends `sync` for `chat` from `after` and reads every page of its answer (`more`): the
    client_ids of the messages it holds."""
    send_frame(ws, "sync", chat=chat, after=after, ref=ref)
    pages = [wait_for(ws, of_type("sync", ref=ref))]
    while pages[-1]["more"]:
        pages.append(wait_for(ws, of_type("sync", ref=ref)))
    return {m["client_id"] for page in pages for m in page["messages"]}
