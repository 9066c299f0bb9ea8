"""What the ORM, the admin and the SQL functions may and may not do to the rows the sidecar owns:
numbering, dedup keys, receipt markers; on a real PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import tandem_core
from django.db import IntegrityError, InternalError, connection, transaction
from tandem import messaging, publishing
from tandem.models import Chat, ChatMember, Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(django_user_model: Any) -> tuple[Chat, Any, Any]:
    ann = django_user_model.objects.create_user("ann", password="pw")
    bob = django_user_model.objects.create_user("bob", password="pw")
    return Chat.create_with_members([ann, bob]), ann, bob


@pytest.fixture(autouse=True)
def no_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(publishing, "_layer_send", lambda group, event: None)


def send(chat: Chat, sender: Any, client_id: str) -> tuple[Any, bool]:
    return messaging.send_message(chat_id=chat.pk, sender_id=sender.pk, client_id=client_id, body="x")


def test_saving_a_stale_chat_does_not_rewind_its_numbering(pair) -> None:
    chat, ann, _ = pair
    stale = Chat.objects.get(pk=chat.pk)
    send(chat, ann, "one")
    stale.title = "renamed"
    stale.save()
    assert send(chat, ann, "two")[0].seq == 2
    chat.refresh_from_db()
    assert (chat.title, chat.last_seq) == ("renamed", 2)


def test_saving_a_stale_member_does_not_rewind_its_receipts(pair) -> None:
    chat, ann, bob = pair
    stale = ChatMember.objects.get(chat=chat, user=bob)
    send(chat, ann, "one")
    messaging.apply_receipt(chat_id=chat.pk, user_id=bob.pk, kind=tandem_core.ReceiptKind.READ, upto=1)
    stale.save()
    member = ChatMember.objects.get(chat=chat, user=bob)
    assert (member.delivered_upto, member.read_upto) == (1, 1)


def test_an_admin_save_while_messages_flow_leaves_the_chat_able_to_take_more(pair, admin_client: Any) -> None:
    chat, ann, bob = pair
    form = admin_client.get(f"/admin/tandem/chat/{chat.pk}/change/")
    assert form.status_code == 200
    send(chat, ann, "during-edit")
    members = list(ChatMember.objects.filter(chat=chat).order_by("pk"))
    post = {
        "title": "edited",
        "members-TOTAL_FORMS": str(len(members)),
        "members-INITIAL_FORMS": str(len(members)),
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
        # What a form rendered before the send would post back, if it could.
        "last_seq": "0",
    }
    for i, member in enumerate(members):
        post |= {
            f"members-{i}-id": str(member.pk),
            f"members-{i}-chat": str(chat.pk),
            f"members-{i}-user": str(member.user_id),
            f"members-{i}-delivered_upto": "0",
            f"members-{i}-read_upto": "0",
        }
    saved = admin_client.post(f"/admin/tandem/chat/{chat.pk}/change/", post)
    assert saved.status_code == 302, saved.content
    assert send(chat, bob, "after-edit")[0].seq == 2
    chat.refresh_from_db()
    assert chat.title == "edited"


def test_the_admin_shows_presence_and_the_receipt_log_read_only(
    admin_client: Any, django_user_model: Any
) -> None:
    assert admin_client.get("/admin/tandem/userstatus/add/").status_code == 403
    assert admin_client.get("/admin/tandem/receiptevent/add/").status_code == 403
    assert admin_client.get("/admin/tandem/receiptevent/").status_code == 200


def test_the_same_client_id_in_another_chat_is_another_message(pair) -> None:
    chat, ann, bob = pair
    other = Chat.create_with_members([ann, bob])
    first, _ = send(chat, ann, "reused")
    second, duplicate = send(other, ann, "reused")
    assert not duplicate
    assert (second.chat, second.seq) == (other.pk, 1)
    assert Message.objects.filter(client_id="reused").count() == 2
    assert send(chat, ann, "reused") == (first, True)


def test_a_unique_violation_other_than_the_dedup_key_is_raised_not_called_a_duplicate(pair) -> None:
    chat, ann, _ = pair
    send(chat, ann, "one")
    # A row already holds the seq the next send will take: the (chat, seq) key is violated.
    Message.objects.create(
        chat=chat, sender=ann, client_id="planted", seq=2, body="x", created_at="2026-01-01T00:00Z"
    )
    with pytest.raises(IntegrityError, match="tandem_message_chat_seq"):
        send(chat, ann, "two")


def test_a_member_who_joins_later_has_every_earlier_message(pair, django_user_model: Any) -> None:
    chat, ann, bob = pair
    for i in range(3):
        send(chat, ann, f"m{i}")
    messaging.apply_receipt(chat_id=chat.pk, user_id=bob.pk, kind=tandem_core.ReceiptKind.READ, upto=3)
    cy = django_user_model.objects.create_user("cy", password="pw")
    ChatMember.objects.create(chat=chat, user=cy)
    member = ChatMember.objects.get(chat=chat, user=cy)
    assert (member.joined_seq, member.delivered_upto, member.read_upto) == (3, 3, 3)
    markers = messaging._markers(chat.pk)
    assert markers.view_of(ann.pk).read_upto == 3  # still blue ticks for everyone who was there
    info = messaging.message_info(chat_id=chat.pk, viewer_id=ann.pk, seq=3)
    assert [member["user"] for member in info["members"]] == [bob.pk]  # cy never had seq 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.filterwarnings("ignore::tandem.messaging.TandemTransactionWarning")
def test_the_functions_refuse_to_run_under_repeatable_read(pair) -> None:
    chat, ann, _ = pair
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        with pytest.raises(InternalError, match="READ COMMITTED"):
            send(chat, ann, "rr")


def test_the_markers_query_reads_the_range_once_however_many_members(django_user_model: Any) -> None:
    users = [django_user_model.objects.create_user(f"u{i}", password="pw") for i in range(6)]
    chat = Chat.create_with_members(users)
    for i in range(300):
        send(chat, users[i % 6], f"c{i}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tandem_message")
        cursor.execute(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + messaging.MARKERS_SQL,
            {"chat": chat.pk, "low": 0, "high": 300},
        )
        plan = cursor.fetchone()[0][0]["Plan"]

    def message_scans(node: dict[str, Any]) -> list[dict[str, Any]]:
        found = [node] if node.get("Relation Name") == "tandem_message" else []
        for child in node.get("Plans", []):
            found += message_scans(child)
        return found

    scans = message_scans(plan)
    assert scans
    assert all(scan["Actual Loops"] == 1 for scan in scans), scans
    assert sorted(messaging._markers(chat.pk, 0, 300).senders_in_range) == sorted(u.pk for u in users)


def test_a_send_inside_the_sites_transaction_warns(pair) -> None:
    chat, ann, _ = pair
    with (
        pytest.warns(messaging.TandemTransactionWarning, match="one chat per transaction"),
        transaction.atomic(),
    ):
        send(chat, ann, "inside")


def test_ids_beyond_int64_are_refused_as_bad_input(pair) -> None:
    chat, ann, _ = pair
    with pytest.raises(messaging.MessagingError) as refused:
        messaging.missed(chat_id=chat.pk, viewer_id=ann.pk, after=2**63)
    assert refused.value.code == tandem_core.ErrorCode.MESSAGE_ID_INVALID
    with pytest.raises(messaging.MessagingError) as refused:
        send(type("Far", (), {"pk": 2**64})(), ann, "far")  # type: ignore[arg-type]
    assert refused.value.code == tandem_core.ErrorCode.CHAT_ID_INVALID


def test_the_receipt_log_has_the_indexes_message_info_and_user_deletion_use() -> None:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "tandem_receiptevent")
    indexed = {tuple(c["columns"]) for c in constraints.values() if c["index"]}
    assert ("chat_id", "user_id", "kind", "upto_seq") in indexed
    assert ("user_id",) in indexed


def test_pruning_deletes_only_receipt_log_rows_older_than_the_retention(pair) -> None:
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone
    from tandem.models import ReceiptEvent

    chat, ann, bob = pair
    for i in range(3):
        send(chat, ann, f"r{i}")
        messaging.apply_receipt(
            chat_id=chat.pk, user_id=bob.pk, kind=tandem_core.ReceiptKind.READ, upto=i + 1
        )
    ReceiptEvent.objects.filter(upto_seq__lte=2).update(at=timezone.now() - timedelta(days=100))
    call_command("tandem", "prune")
    assert sorted(ReceiptEvent.objects.values_list("upto_seq", flat=True)) == [3, 3]
    member = ChatMember.objects.get(chat=chat, user=bob)
    assert member.read_upto == 3  # the markers keep the ticks


def test_a_resend_in_an_async_view_finds_the_first_message(pair) -> None:
    from asgiref.sync import async_to_sync

    chat, ann, _ = pair
    first = async_to_sync(messaging.asend_message)(
        chat_id=chat.pk, sender_id=ann.pk, client_id="async", body="x"
    )
    again = async_to_sync(messaging.asend_message)(
        chat_id=chat.pk, sender_id=ann.pk, client_id="async", body="x"
    )
    assert (first[1], again) == (False, (first[0], True))
    page = async_to_sync(messaging.ahistory)(chat_id=chat.pk, viewer_id=ann.pk)
    assert [m["client_id"] for m in page["messages"]] == ["async"]
