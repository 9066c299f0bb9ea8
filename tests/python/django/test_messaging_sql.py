"""The SQL functions the sidecar and Django both call, on a real PostgreSQL: numbering without
gaps, dedup by client_id, membership, and receipts that follow the C++ core's rule exactly
under any sequence (hypothesis)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import tandem_core
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tandem import messaging, publishing
from tandem.messaging import MessagingError
from tandem.models import Chat, ChatMember, ReceiptEvent, Undelivered

pytestmark = pytest.mark.django_db


@pytest.fixture
def trio(django_user_model: Any) -> tuple[Chat, list[Any]]:
    users = [django_user_model.objects.create_user(n, password="pw") for n in ("ann", "bob", "cy")]
    return Chat.create_with_members(users[:2]), users


@pytest.fixture(autouse=True)
def no_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the database; publishing is covered end to end elsewhere."""
    monkeypatch.setattr(publishing, "_layer_send", lambda group, event: None)


def test_messages_are_numbered_per_chat_without_gaps(trio) -> None:
    chat, (ann, bob, _) = trio
    other = Chat.create_with_members([ann, bob])
    seqs = [
        messaging.send_message(chat_id=chat.pk, sender_id=ann.pk, client_id=f"a{i}", body="x")[0].seq
        for i in range(3)
    ]
    assert seqs == [1, 2, 3]
    assert messaging.send_message(chat_id=other.pk, sender_id=bob.pk, client_id="b0", body="x")[0].seq == 1
    chat.refresh_from_db()
    assert chat.last_seq == 3


def test_a_resend_returns_the_original_and_does_not_consume_a_seq(trio) -> None:
    chat, (ann, _, _) = trio
    first, duplicate = messaging.send_message(chat_id=chat.pk, sender_id=ann.pk, client_id="same", body="one")
    again, duplicate_again = messaging.send_message(
        chat_id=chat.pk, sender_id=ann.pk, client_id="same", body="one"
    )
    assert (duplicate, duplicate_again) == (False, True)
    assert again == first
    assert messaging.send_message(chat_id=chat.pk, sender_id=ann.pk, client_id="next", body="two")[0].seq == 2


def test_a_non_member_cannot_send_or_receipt(trio) -> None:
    chat, (_, _, cy) = trio
    with pytest.raises(MessagingError) as refused:
        messaging.send_message(chat_id=chat.pk, sender_id=cy.pk, client_id="c", body="x")
    assert refused.value.code == tandem_core.ErrorCode.FORBIDDEN
    with pytest.raises(MessagingError):
        messaging.apply_receipt(chat_id=chat.pk, user_id=cy.pk, kind=tandem_core.ReceiptKind.READ, upto=1)


def test_a_send_writes_no_pending_row_and_what_is_undelivered_is_read_from_the_markers(trio) -> None:
    chat, (ann, bob, _) = trio
    for i in range(4):
        messaging.send_message(chat_id=chat.pk, sender_id=ann.pk, client_id=f"p{i}", body="x")
    assert not Undelivered.objects.exists()
    messaging.apply_receipt(chat_id=chat.pk, user_id=bob.pk, kind=tandem_core.ReceiptKind.DELIVERED, upto=2)
    chat.refresh_from_db()
    member = ChatMember.objects.get(chat=chat, user=bob)
    assert chat.last_seq - member.delivered_upto == 2


receipts = st.lists(st.tuples(st.sampled_from([0, 1]), st.integers(min_value=1, max_value=12)), max_size=12)


# Each example makes its own chat, so the fixtures shared across examples hold no state.
@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=receipts)
def test_stored_receipts_follow_the_cores_rule_for_any_sequence(django_user_model: Any, events) -> None:
    ann, _ = django_user_model.objects.get_or_create(username="prop-ann")
    bob, _ = django_user_model.objects.get_or_create(username="prop-bob")
    chat = Chat.create_with_members([ann, bob])
    for i in range(8):
        messaging.send_message(chat_id=chat.pk, sender_id=ann.pk, client_id=f"prop-{chat.pk}-{i}", body="x")
    expected = tandem_core.ReceiptMarker()
    for kind, upto in events:
        expected, changed = tandem_core.apply_receipt(expected, tandem_core.ReceiptKind(kind), min(upto, 8))
        result = messaging.apply_receipt(
            chat_id=chat.pk, user_id=bob.pk, kind=tandem_core.ReceiptKind(kind), upto=upto
        )
        assert result.changed == changed
        assert result.after == expected
    member = ChatMember.objects.get(chat=chat, user=bob)
    assert (member.delivered_upto, member.read_upto) == (expected.delivered_upto, expected.read_upto)
    # One log row per advance, each moving forward from where the previous one ended.
    for kind in (0, 1):
        log = list(
            ReceiptEvent.objects.filter(chat=chat, user=bob, kind=kind)
            .order_by("id")
            .values_list("from_seq", "upto_seq")
        )
        assert all(a[1] == b[0] for a, b in itertools.pairwise(log))
        assert all(start < end for start, end in log)
