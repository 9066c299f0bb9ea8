"""Client frames forwarded to the bridge channel, as the sidecar forwards them, are answered
by a real runworker process on the socket's reply channel (docs/protocol.md, "The bridge")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness.python_layer import python_layer, receive, run
from harness.redis_server import RedisServer

BRIDGES = ["tandem.bridge", "tandem.bridge.sync"]


def ask(redis: RedisServer, bridge: str, frame: dict[str, Any], **context: Any) -> dict[str, Any]:
    """Sends one client frame to `bridge` and returns what arrives on the reply channel."""
    layer = python_layer([redis])

    async def exchange() -> dict[str, Any]:
        reply_channel = await layer.new_channel()  # a specific channel, like a sidecar socket's
        event = {
            "type": "tandem.client_frame",
            "frame": frame,
            "user_id": 7,
            "chat_id": 42,
            "path": "/ws/chat/42/",
            "reply_channel": reply_channel,
            **context,
        }
        await layer.send(bridge, event)
        # The first exchange waits for the worker to start Django.
        return await receive(layer, reply_channel, timeout=30)

    return run(exchange())


@pytest.mark.parametrize("bridge", BRIDGES)
def test_a_frame_is_answered_on_the_reply_channel(
    bridge_redis: RedisServer, bridge_worker: Path, bridge: str
) -> None:
    reply = ask(bridge_redis, bridge, {"type": "echo", "text": "héllo"})
    assert reply == {"type": "tandem.frame", "frame": {"type": "echo.reply", "text": "héllo", "user_id": 7}}


@pytest.mark.parametrize("bridge", BRIDGES)
def test_a_failing_handler_answers_internal_and_keeps_working(
    bridge_redis: RedisServer, bridge_worker: Path, bridge: str
) -> None:
    reply = ask(bridge_redis, bridge, {"type": "explode", "client_id": "c-17"})
    frame = reply["frame"]
    assert reply["type"] == "tandem.frame"
    assert (frame["type"], frame["code"], frame["number"], frame["ref"]) == (
        "error",
        "internal",
        500,
        "c-17",
    )
    assert "failed on purpose" not in frame["message"]  # no exception text to clients
    # The log names the frame's type, the user and where it failed, never the exception's text
    # (a handler may build it from the client's frame).
    logged = bridge_worker.read_text()
    assert "event=bridge_handler_failed type='explode' user=7 error=RuntimeError at " in logged
    assert "failed on purpose" not in logged
    assert ask(bridge_redis, bridge, {"type": "echo", "text": "still here"})["frame"]["text"] == "still here"


@pytest.mark.parametrize("bridge", BRIDGES)
def test_frames_the_bridge_does_not_handle_are_unknown_type(
    bridge_redis: RedisServer, bridge_worker: Path, bridge: str
) -> None:
    frame = ask(bridge_redis, bridge, {"type": "dance", "ref": 3})["frame"]
    assert (frame["type"], frame["code"], frame["number"], frame["ref"]) == ("error", "unknown_type", 101, 3)


def test_the_notification_socket_has_no_chat(bridge_redis: RedisServer, bridge_worker: Path) -> None:
    reply = ask(bridge_redis, "tandem.bridge", {"type": "echo", "text": "x"}, chat_id=None, user_id=9)
    assert reply["frame"]["user_id"] == 9
