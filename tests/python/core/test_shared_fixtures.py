"""The Python binding gives the same answers as the C++ tests for every shared fixture case."""

from __future__ import annotations

from typing import Any

import pytest
import tandem_core as tc
from shared_fixtures import case_id, cases

EVENTS = {
    "acked": tc.TickEvent.ACKED,
    "delivered": tc.TickEvent.DELIVERED,
    "read": tc.TickEvent.READ,
    "failed": tc.TickEvent.FAILED,
    "retried": tc.TickEvent.RETRIED,
}
POLICIES = {"reconnect": tc.RECONNECT_BACKOFF, "message_retry": tc.MESSAGE_RETRY_BACKOFF}


@pytest.mark.parametrize("case", cases("core/ticks.json"), ids=case_id)
def test_tick_fixture(case: dict[str, Any]) -> None:
    status = tc.MessageStatus()
    changes = []
    for name, at in case["events"]:
        status, changed = tc.advance(status, EVENTS[name], at)
        changes.append(changed)
    want = case["expect"]
    assert changes == case["changed"]
    assert tc.tick_name(status.state) == want["state"]
    assert (status.sent_at, status.delivered_at, status.read_at, status.failed_at) == (
        want["sent_at"],
        want["delivered_at"],
        want["read_at"],
        want["failed_at"],
    )


@pytest.mark.parametrize("case", cases("core/receipts.json", "apply"), ids=case_id)
def test_receipt_fixture(case: dict[str, Any]) -> None:
    delivered, read = case["marker"]
    kind = tc.ReceiptKind.READ if case["kind"] == "read" else tc.ReceiptKind.DELIVERED
    marker, changed = tc.apply_receipt(
        tc.ReceiptMarker(delivered_upto=delivered, read_upto=read), kind, case["upto"]
    )
    assert [marker.delivered_upto, marker.read_upto] == case["expect"]
    assert changed == case["changed"]


@pytest.mark.parametrize("case", cases("core/receipts.json", "aggregate"), ids=case_id)
def test_aggregate_fixture(case: dict[str, Any]) -> None:
    markers = [tc.ReceiptMarker(delivered_upto=d, read_upto=r) for d, r in case["markers"]]
    assert tc.tick_name(tc.aggregate_markers(markers, case["seq"])) == case["expect"]


@pytest.mark.parametrize("case", cases("core/last_seen_text.json"), ids=case_id)
def test_last_seen_fixture(case: dict[str, Any]) -> None:
    text = tc.last_seen_text(case["online"], case["last_seen"], case["now"], case["utc_offset_minutes"])
    assert text == case["text"]


@pytest.mark.parametrize("case", cases("core/typing_text.json"), ids=lambda c: ",".join(c["names"]) or "none")
def test_typing_text_fixture(case: dict[str, Any]) -> None:
    assert tc.typing_text(case["names"]) == case["text"]


@pytest.mark.parametrize(
    "case", cases("core/backoff.json"), ids=lambda c: f"{c['policy']}-{c['attempt']}-{c['random01']}"
)
def test_backoff_fixture(case: dict[str, Any]) -> None:
    assert tc.backoff_delay(POLICIES[case["policy"]], case["attempt"], case["random01"]) == case["delay"]


@pytest.mark.parametrize("case", cases("core/frames.json", "send"), ids=case_id)
def test_send_frame_fixture(case: dict[str, Any]) -> None:
    verdict = tc.validate_send(case["chat"], case["client_id"], case["body"])
    if case["error"] is None:
        assert verdict is None
    else:
        assert verdict is not None
        assert (tc.error_name(verdict.code), verdict.field) == (case["error"]["code"], case["error"]["field"])
