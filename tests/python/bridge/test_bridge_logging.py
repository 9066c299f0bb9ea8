"""What the bridge writes to its log (issue 12, defect 8): the frame's type and the user, never
the client's frame (message bodies, private fields) nor an exception's text, which a handler
may well have built from the frame; and every error answer echoes the frame's `ref`. The
consumer runs in-process under the testing kit (tandem.testing.BridgeCommunicator, on Channels'
in-memory layer: the layer is not what is tested here) so caplog sees its records; the real
`runworker` on Redis is tests/python/bridge/test_bridge_worker.py."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import tandem_core
from asgiref.sync import async_to_sync
from django.test import override_settings
from tandem.bridge import BridgeConsumer, SyncBridgeConsumer
from tandem.testing import BridgeCommunicator

SECRET = "my-private-body-7f3a"

pytestmark = pytest.mark.usefixtures("in_memory_layer")


@pytest.fixture
def in_memory_layer() -> Any:
    with override_settings(CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}):
        yield


class FailingBridge(BridgeConsumer):
    async def handle_frame(self, frame: dict[str, Any], context: Any) -> None:
        raise ValueError(f"cannot handle {frame['body']}")  # a message built from the frame


class SyncFailingBridge(SyncBridgeConsumer):
    def handle_frame(self, frame: dict[str, Any], context: Any) -> None:
        raise KeyError(frame["body"])


def bridge_log(caplog: pytest.LogCaptureFixture) -> str:
    records = [r for r in caplog.records if r.name.startswith("tandem.bridge")]
    assert records, "the bridge logged nothing"
    return "\n".join(caplog.handler.format(r) for r in records)


@pytest.mark.parametrize("consumer", [FailingBridge, SyncFailingBridge])
def test_a_failing_handler_logs_type_and_user_only_and_echoes_ref(
    consumer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="tandem.bridge")

    async def scenario() -> None:
        bridge = BridgeCommunicator(consumer, user_id=7, chat_id=3, path="/ws/chat/3/")
        await bridge.send_frame({"type": "poll.vote", "body": SECRET, "ref": "r-42"})
        answer = await bridge.receive_frame()
        assert answer["code"] == tandem_core.error_name(tandem_core.ErrorCode.INTERNAL)
        assert answer["ref"] == "r-42"
        assert SECRET not in answer["message"]
        await bridge.send_frame({"type": "poll.vote", "body": SECRET, "client_id": "c-9"})
        assert (await bridge.receive_frame())["ref"] == "c-9"
        await bridge.stop()

    async_to_sync(scenario)()
    logged = bridge_log(caplog)
    assert "poll.vote" in logged
    assert "user=7" in logged
    assert "ValueError" in logged or "KeyError" in logged  # what failed, and where
    assert SECRET not in logged
    assert "Traceback" not in logged


def test_a_malformed_event_is_logged_without_its_frame(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="tandem.bridge")

    async def scenario() -> None:
        bridge = BridgeCommunicator(BridgeConsumer, user_id=7)
        # No reply_channel: nobody to answer, so the event is dropped (and logged).
        await bridge.app.send_input(
            {"type": "tandem.client_frame", "frame": {"type": "x", "body": SECRET}, "user_id": 7}
        )
        await bridge.send_frame({"type": "x", "ref": "r-1"})  # the consumer still works
        assert (await bridge.receive_frame())["ref"] == "r-1"
        await bridge.stop()

    async_to_sync(scenario)()
    logged = bridge_log(caplog)
    assert "malformed" in logged
    assert SECRET not in logged
    assert "Traceback" not in logged


def test_a_hostile_frame_type_cannot_forge_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="tandem.bridge")
    hostile = "x\nERROR forged line " + "y" * 5000

    async def scenario() -> None:
        bridge = BridgeCommunicator(FailingBridge, user_id=8)
        await bridge.send_frame({"type": hostile, "body": SECRET})
        await bridge.receive_frame()
        await bridge.stop()

    async_to_sync(scenario)()
    logged = bridge_log(caplog)
    assert "\nERROR forged line" not in logged
    assert len(logged) < 1000
