"""Django's messaging frames (tandem.events) match the shared fixture the sidecar's C++ is held
to, byte for byte where frames are text."""

from __future__ import annotations

import json

import tandem_core
from shared_fixtures import load_fixture
from tandem import events

FIXTURE = load_fixture("protocol/chat_frames.json")
MESSAGE = events.StoredMessage(**FIXTURE["message"])
VIEW = tandem_core.ReceiptMarker(**FIXTURE["view"])
KINDS = {"read": tandem_core.ReceiptKind.READ, "delivered": tandem_core.ReceiptKind.DELIVERED}


def text(frame: dict) -> str:
    """JSON as the sidecar writes it: no spaces, UTF-8 kept."""
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


def test_the_ack_is_the_sidecars() -> None:
    assert text(events.ack_frame(MESSAGE, duplicate=False)) == FIXTURE["ack"]


def test_the_events_are_the_sidecars() -> None:
    assert events.chat_message_event(MESSAGE) == FIXTURE["chat_message_event"]
    status = FIXTURE["chat_status_event"]["args"]
    assert (
        events.chat_status_event(status["chat"], KINDS[status["kind"]], status["upto"], status["at"])
        == FIXTURE["chat_status_event"]["expect"]
    )
    receipt = FIXTURE["chat_receipt_event"]["args"]
    assert (
        events.chat_receipt_event(
            receipt["chat"], receipt["user"], KINDS[receipt["kind"]], receipt["upto"], receipt["at"]
        )
        == FIXTURE["chat_receipt_event"]["expect"]
    )
    lost = FIXTURE["chat_publish_lost_event"]
    assert events.chat_publish_lost_event(lost["args"]["chat"]) == lost["expect"]


def test_sync_and_history_pages_are_the_sidecars() -> None:
    sync = dict(FIXTURE["sync"]["args"])
    assert text(events.sync_frame(**sync, messages=[MESSAGE], view=VIEW)) == FIXTURE["sync"]["expect"]
    history = FIXTURE["history"]["args"]
    assert (
        text(events.history_frame(**history, messages=[MESSAGE], view=VIEW)) == FIXTURE["history"]["expect"]
    )
