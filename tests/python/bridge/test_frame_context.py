"""What a bridge handler is given and how its errors are worded, without a worker."""

from __future__ import annotations

from typing import Any

import pytest
import tandem_core
from tandem.bridge import context_from_event, error_frame, reply_event

EVENT = {
    "type": "tandem.client_frame",
    "frame": {"type": "echo", "client_id": "c-1"},
    "user_id": "7",
    "chat_id": 42,
    "path": "/ws/chat/42/",
    "reply_channel": "specific.ab!cd",
}


def test_the_context_carries_the_event() -> None:
    context = context_from_event(EVENT)
    assert (context.user_id, context.chat_id, context.path, context.reply_channel) == (
        7,
        42,
        "/ws/chat/42/",
        "specific.ab!cd",
    )
    assert context.frame == {"type": "echo", "client_id": "c-1"}
    assert context.ref == "c-1"


@pytest.mark.parametrize(
    ("frame", "ref"),
    [
        ({"type": "x", "ref": "r"}, "r"),
        ({"type": "x", "ref": 5}, 5),
        ({"type": "x", "ref": True}, None),
        ({"type": "x", "ref": {"a": 1}}, None),
        ({"type": "x"}, None),
    ],
)
def test_only_plain_refs_are_echoed(frame: dict[str, Any], ref: object) -> None:
    assert context_from_event({**EVENT, "frame": frame}).ref == ref


@pytest.mark.parametrize(
    "broken",
    [
        {"frame": "text"},
        {"frame": {"no": "type"}},
        {"reply_channel": None},
        {"user_id": "x"},
        {"user_id": None},
    ],
)
def test_malformed_events_are_refused(broken: dict[str, Any]) -> None:
    event = {**EVENT, **broken}
    with pytest.raises((KeyError, TypeError, ValueError)):
        context_from_event(event)


def test_error_frames_use_the_shared_codes_and_wording() -> None:
    code = tandem_core.ErrorCode.INVALID_FIELD
    expected = {"type": "error", "code": "invalid_field", "number": 103, "ref": "c-1"}
    assert error_frame(code, "c-1") == {**expected, "message": tandem_core.error_message(code)}
    assert "ref" not in error_frame(code, None, "Say something shorter.")
    assert reply_event({"type": "x"}) == {"type": "tandem.frame", "frame": {"type": "x"}}
