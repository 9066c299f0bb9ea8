"""A receipt's news in a large group, on a real PostgreSQL: the sender hears its tick move once,
when the last member has the message, and the receipts before that read no member's markers
(O(members) rows per group message, not O(members²): issue 14's W3 with receipts)."""

from __future__ import annotations

from typing import Any

import pytest
import tandem_core
from django.db import connection
from tandem import messaging, publishing
from tandem.groups import user_group
from tandem.models import Chat

pytestmark = pytest.mark.django_db

DELIVERED = tandem_core.ReceiptKind.DELIVERED


@pytest.fixture
def told(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    sent: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(publishing, "_layer_send", lambda group, event: sent.append((group, event)))
    return sent


def group_of(django_user_model: Any, size: int) -> tuple[Chat, list[Any]]:
    users = [django_user_model.objects.create_user(f"m{i}", password="pw") for i in range(size)]
    return Chat.create_with_members(users), users


def member_rows_read(plan: dict[str, Any]) -> int:
    """Rows the plan's tandem_chatmember scans visited (returned or filtered out), over all
    their loops."""
    own = 0
    if plan.get("Relation Name") == "tandem_chatmember":
        visited = plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)
        own = visited * plan.get("Actual Loops", 0)
    return own + sum(member_rows_read(child) for child in plan.get("Plans", []))


def test_a_receipt_reads_no_members_markers_while_two_others_are_behind(django_user_model: Any) -> None:
    chat, users = group_of(django_user_model, 300)
    messaging.send_message(chat_id=chat.pk, sender_id=users[0].pk, client_id="hello", body="x")
    params = {
        "chat": chat.pk,
        "reader": users[1].pk,
        "low": 0,
        "high": 1,
        "before_d": 0,
        "after_d": 1,
        "before_r": 0,
        "after_r": 0,
    }
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tandem_chatmember")
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + messaging.RECEIPT_MARKERS_SQL, params)
        plan = cursor.fetchone()[0][0]["Plan"]
        # The markers query of every other purpose reads them all.
        cursor.execute(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + messaging.MARKERS_SQL, {"chat": chat.pk, "low": 0, "high": 1}
        )
        everyone = cursor.fetchone()[0][0]["Plan"]
    assert plan["Actual Rows"] == 0
    assert member_rows_read(plan) <= 4, plan
    assert member_rows_read(everyone) >= 300


def test_the_sender_is_told_once_when_the_last_member_has_the_message(
    django_user_model: Any, django_capture_on_commit_callbacks: Any, told: list[tuple[str, dict[str, Any]]]
) -> None:
    chat, users = group_of(django_user_model, 6)
    sender, members = users[0], users[1:]
    messaging.send_message(chat_id=chat.pk, sender_id=sender.pk, client_id="one", body="x")
    news = []
    for member in members:
        told.clear()
        with django_capture_on_commit_callbacks(execute=True):
            messaging.apply_receipt(chat_id=chat.pk, user_id=member.pk, kind=DELIVERED, upto=1)
        news.append([event for group, event in told if group == user_group(sender.pk)])
    assert news[:-1] == [[]] * (len(members) - 1)
    assert [(e["type"], e["status"], e["upto"]) for e in news[-1]] == [("chat.status", "delivered", 1)]


def test_the_gate_and_the_full_markers_agree_on_every_receipt_of_a_chat(
    django_user_model: Any, django_capture_on_commit_callbacks: Any, told: list[tuple[str, dict[str, Any]]]
) -> None:
    """Members of a group (one with read receipts off) send receipts in a fixed pseudo-random
    order over several senders' messages: whatever the gated query says, the news are those the
    core finds from every member's markers."""
    chat, users = group_of(django_user_model, 5)
    from tandem.models import UserSettings

    UserSettings.objects.update_or_create(user=users[3], defaults={"read_receipts": False})
    for i in range(6):
        messaging.send_message(chat_id=chat.pk, sender_id=users[i % 3].pk, client_id=f"c{i}", body="x")
    state = 7
    for _ in range(60):
        state = (state * 1103515245 + 12345) % 2**31
        reader = users[state % 5]
        kind = tandem_core.ReceiptKind((state >> 8) % 2)
        upto = 1 + (state >> 12) % 6
        told.clear()
        with django_capture_on_commit_callbacks(execute=True):
            result = messaging.apply_receipt(chat_id=chat.pk, user_id=reader.pk, kind=kind, upto=upto)
        if not result.changed:
            continue
        low = min(result.before.delivered_upto, result.before.read_upto)
        high = max(result.after.delivered_upto, result.after.read_upto)
        full = messaging._markers(chat.pk, low, high)
        expected = [
            (user_group(n.sender_id), n.kind, n.upto)
            for n in tandem_core.receipt_news(
                full.members, reader.pk, result.before, full.senders_in_range, True
            )
        ]
        got = [
            (group, tandem_core.ReceiptKind.READ if e["status"] == "read" else DELIVERED, e["upto"])
            for group, e in told
            if e["type"] == "chat.status"
        ]
        assert got == expected
