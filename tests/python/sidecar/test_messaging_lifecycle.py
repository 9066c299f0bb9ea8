"""The message lifecycle on real sockets, PostgreSQL and Redis: send → sent → delivered → read
as the sender sees it, resends, offline recipients, bulk idempotent read receipts, group
aggregation, history pages and typed errors that leave the socket usable."""

from __future__ import annotations

from chatclient import frames_within, of_type, send_frame, send_message, wait_for
from quiet_rows import delete_member_row_by_sql
from wsclient import next_frame, open_socket


def chat_url(sidecar, chat) -> str:
    return sidecar.ws_url(f"/ws/chat/{chat.pk}/")


def test_the_sender_sees_sent_then_delivered_then_read(world, sidecar) -> None:
    with (
        open_socket(chat_url(sidecar, world.chat), world.cookie(world.ann)) as ann,
        open_socket(chat_url(sidecar, world.chat), world.cookie(world.ann)) as ann_tab2,
        open_socket(chat_url(sidecar, world.chat), world.cookie(world.bob)) as bob,
    ):
        for ws in (ann, ann_tab2, bob):
            next_frame(ws)
        ack = send_message(ann, "c-1", "hello bob")
        assert ack["type"] == "ack"
        assert ack["status"] == "sent"
        assert ack["seq"] == 1
        assert not ack["duplicate"]

        message = wait_for(bob, of_type("message"))
        assert message["body"] == "hello bob"
        assert message["sender"] == world.ann.pk
        assert message["id"] == ack["id"]
        assert wait_for(ann_tab2, of_type("message"))["client_id"] == "c-1"  # the sender's other tab

        send_frame(bob, "delivered", upto=message["seq"])
        for ws in (ann, ann_tab2):
            assert wait_for(ws, of_type("status")) | {"at": 0} == {
                "type": "status",
                "chat": world.chat.pk,
                "status": "delivered",
                "upto": 1,
                "at": 0,
            }
        send_frame(bob, "read", upto=message["seq"])
        for ws in (ann, ann_tab2):
            assert wait_for(ws, of_type("status", status="read"))["upto"] == 1


def test_a_resend_with_the_same_client_id_stores_one_row(world, sidecar) -> None:
    from tandem.models import Message

    with open_socket(chat_url(sidecar, world.chat), world.cookie(world.ann)) as ann:
        next_frame(ann)
        first = send_message(ann, "same-id", "once")
        again = send_message(ann, "same-id", "once")
    assert again["duplicate"]
    assert again["id"] == first["id"]
    assert again["seq"] == first["seq"]
    assert Message.objects.filter(sender=world.ann, client_id="same-id").count() == 1


def test_an_offline_recipient_gets_the_messages_in_order_and_the_sender_then_sees_delivered(
    world, sidecar
) -> None:
    from tandem.models import ChatMember, Undelivered

    def bob_has_received() -> int:
        return ChatMember.objects.get(user=world.bob, chat=world.chat).delivered_upto

    with open_socket(chat_url(sidecar, world.chat), world.cookie(world.ann)) as ann:
        next_frame(ann)
        for i in range(3):
            send_message(ann, f"off-{i}", f"message {i}")
        # What bob has not received is read from his marker; no pending row is written.
        assert bob_has_received() == 0
        assert not Undelivered.objects.exists()

        with open_socket(chat_url(sidecar, world.chat), world.cookie(world.bob)) as bob:
            next_frame(bob)
            send_frame(bob, "sync", after=0)
            sync = wait_for(bob, of_type("sync"))
            assert [m["body"] for m in sync["messages"]] == ["message 0", "message 1", "message 2"]
            assert sync["last_seq"] == 3
            assert not sync["more"]
            assert not sync["reload"]
            send_frame(bob, "delivered", upto=sync["messages"][-1]["seq"])
            assert wait_for(ann, of_type("status", status="delivered"))["upto"] == 3
    assert bob_has_received() == 3


def test_a_read_receipt_covers_every_earlier_message_once_and_repeats_send_nothing(world, sidecar) -> None:
    from tandem.models import ChatMember, ReceiptEvent

    with (
        open_socket(chat_url(sidecar, world.chat), world.cookie(world.ann)) as ann,
        open_socket(chat_url(sidecar, world.chat), world.cookie(world.bob)) as bob,
    ):
        next_frame(ann)
        next_frame(bob)
        for i in range(5):
            send_message(ann, f"bulk-{i}", f"m{i}")
        send_frame(bob, "read", upto=5)
        assert wait_for(ann, of_type("status", status="read"))["upto"] == 5
        send_frame(bob, "read", upto=5)
        send_frame(bob, "read", upto=3)  # stale
        send_frame(bob, "delivered", upto=4)  # implied by the read
        assert [f for f in frames_within(ann, 1.0) if f["type"] == "status"] == []
    member = ChatMember.objects.get(chat=world.chat, user=world.bob)
    assert (member.delivered_upto, member.read_upto) == (5, 5)
    assert ReceiptEvent.objects.filter(chat=world.chat, user=world.bob, kind=1).count() == 1


def test_a_receipt_cannot_cover_messages_that_do_not_exist_yet(world, sidecar) -> None:
    from tandem.models import ChatMember

    with open_socket(chat_url(sidecar, world.chat), world.cookie(world.bob)) as bob:
        next_frame(bob)
        send_frame(bob, "read", upto=1000)
        send_frame(bob, "ping", ref="after")
        wait_for(bob, of_type("pong"))
    assert ChatMember.objects.get(chat=world.chat, user=world.bob).read_upto == 0


def test_in_a_group_the_sender_sees_read_only_when_everyone_has_read(
    world, sidecar, django_user_model
) -> None:
    from tandem.models import Chat

    cy = django_user_model.objects.create_user("cy", password="pw-cy")
    group = Chat.create_with_members([world.ann, world.bob, cy], title="trio")
    url = chat_url(sidecar, group)
    with (
        open_socket(url, world.cookie(world.ann)) as ann,
        open_socket(url, world.cookie(world.bob)) as bob,
        open_socket(url, world.cookie(cy)) as cy_ws,
    ):
        for ws in (ann, bob, cy_ws):
            next_frame(ws)
        ack = send_message(ann, "g-1", "hi all")
        send_frame(bob, "read", upto=ack["seq"])
        assert [f for f in frames_within(ann, 1.0) if f["type"] == "status"] == []
        send_frame(cy_ws, "read", upto=ack["seq"])
        statuses = [wait_for(ann, of_type("status")) for _ in range(2)]
        assert {(s["status"], s["upto"]) for s in statuses} == {("delivered", 1), ("read", 1)}


def test_a_group_sender_hears_delivered_once_the_members_receipts_race_in(
    world, sidecar, django_user_model
) -> None:
    """Every member acknowledges at once, on two I/O threads and several database connections:
    the receipts that see two others still behind read no markers (the gated query), and the
    last ones, however they interleave, still tell the sender, never of more than there is."""
    from contextlib import ExitStack

    from tandem.models import Chat

    members = [django_user_model.objects.create_user(f"g{i}", password="pw") for i in range(11)]
    group = Chat.create_with_members([world.ann, *members], title="race")
    url = chat_url(sidecar, group)
    with ExitStack() as stack:
        ann = stack.enter_context(open_socket(url, world.cookie(world.ann)))
        sockets = [stack.enter_context(open_socket(url, world.cookie(m))) for m in members]
        for ws in (ann, *sockets):
            next_frame(ws)
        for round_ in range(1, 4):
            ack = send_message(ann, f"race-{round_}", "all at once")
            for ws in sockets:
                wait_for(ws, of_type("message"))
            for ws in sockets:
                send_frame(ws, "delivered", upto=ack["seq"])
            told = wait_for(ann, of_type("status", status="delivered", upto=ack["seq"]))
            assert told["chat"] == group.pk
            again = [f for f in frames_within(ann, 0.5) if f["type"] == "status"]
            assert all(f["upto"] == ack["seq"] for f in again), again
            assert 1 + len(again) <= sidecar.config["threads"], again


def test_receipts_arriving_together_are_applied_in_shared_statements(
    world, sidecar, django_user_model
) -> None:
    """Forty members acknowledge a message at once: every marker moves and every receipt is
    logged once, as if each had been applied alone, in fewer statements than receipts
    (receipt_batch_max); a member's receipt for a chat it is not in is still refused alone."""
    import time
    from contextlib import ExitStack

    from tandem.models import Chat, ChatMember, ReceiptEvent

    members = [django_user_model.objects.create_user(f"b{i}", password="pw") for i in range(40)]
    group = Chat.create_with_members([world.ann, *members], title="batch")
    url = chat_url(sidecar, group)
    statements_before = sidecar.metric("tandem_receipt_statements_total")
    with ExitStack() as stack:
        ann = stack.enter_context(open_socket(url, world.cookie(world.ann)))
        sockets = [stack.enter_context(open_socket(url, world.cookie(m))) for m in members]
        for ws in (ann, *sockets):
            next_frame(ws)
        ack = send_message(ann, "batch-1", "everyone")
        for ws in sockets:
            wait_for(ws, of_type("message"))
        for ws in sockets:
            send_frame(ws, "delivered", upto=ack["seq"])
        assert wait_for(ann, of_type("status", status="delivered"))["upto"] == ack["seq"]
        # Not a member of the 1:1 chat: refused, whatever else is applied meanwhile.
        send_frame(sockets[0], "delivered", chat=world.chat.pk, upto=1)
        assert wait_for(sockets[0], of_type("error"))["code"] == "forbidden"
    delivered = ChatMember.objects.filter(chat=group, user__in=members).values_list(
        "delivered_upto", flat=True
    )
    assert sorted(set(delivered)) == [ack["seq"]]
    assert ReceiptEvent.objects.filter(chat=group, kind=0).count() == len(members)
    sidecar.metric_above("tandem_receipt_statements_total", statements_before + 1)
    time.sleep(1.5)  # both threads' counters published
    statements = sidecar.metric("tandem_receipt_statements_total") - statements_before
    assert 2 <= statements < len(members), statements


def test_sends_arriving_together_are_stored_in_shared_statements(
    world, make_sidecar, django_user_model
) -> None:
    """Thirty members of a group send at once, four messages each without waiting for the acks:
    every send is answered once with its own seq, each member's messages keep the order it sent
    them in, bodies that need quoting in a PostgreSQL array are stored as they were sent, and the
    sends share statements (send_batch_max); a member whose row was deleted meanwhile is answered
    forbidden, send by send, while the others' sends of the same batches are stored."""
    import time
    from contextlib import ExitStack

    from tandem.models import Chat, Message

    sidecar = make_sidecar(rate_burst=100)
    members = [django_user_model.objects.create_user(f"s{i}", password="pw") for i in range(30)]
    group = Chat.create_with_members([world.ann, *members], title="sends")
    url = chat_url(sidecar, group)
    bodies = [
        'a "quoted", {braced} body',
        'back\\slash \\" and',
        "NULL",
        "emoji \U0001f389 and \u00fcn\u00efcode",
    ]
    statements_before = sidecar.metric("tandem_send_statements_total")
    with ExitStack() as stack:
        sockets = [stack.enter_context(open_socket(url, world.cookie(m))) for m in members]
        for ws in sockets:
            next_frame(ws)
        delete_member_row_by_sql(group, members[0])  # the socket does not know yet
        for round_ in range(len(bodies)):
            for i, ws in enumerate(sockets):
                send_frame(ws, "send", client_id=f"m{i}-{round_}", body=f"{bodies[round_]} #{i}")
        answers = {}
        for i, ws in enumerate(sockets):
            for round_ in range(len(bodies)):
                client_id = f"m{i}-{round_}"
                answers[client_id] = wait_for(
                    ws,
                    lambda f, c=client_id: (
                        f["type"] in ("ack", "error") and c in (f.get("client_id"), f.get("ref"))
                    ),
                )
    for round_ in range(len(bodies)):
        assert answers[f"m0-{round_}"]["type"] == "error"
        assert answers[f"m0-{round_}"]["code"] == "forbidden"
    acks = {c: a for c, a in answers.items() if not c.startswith("m0-")}
    assert all(a["type"] == "ack" and not a["duplicate"] for a in acks.values()), acks
    seqs = sorted(a["seq"] for a in acks.values())
    assert seqs == list(range(1, len(acks) + 1))  # one seq each, no gap
    for i in range(1, len(members)):
        mine = [acks[f"m{i}-{r}"]["seq"] for r in range(len(bodies))]
        assert mine == sorted(mine), (i, mine)  # in the order the member sent them
    stored = dict(Message.objects.filter(chat=group).values_list("client_id", "body"))
    assert stored == {c: f"{bodies[int(c.split('-')[1])]} #{c[1:].split('-')[0]}" for c in acks}
    sidecar.metric_above("tandem_send_statements_total", statements_before + 1)
    time.sleep(1.5)  # both threads' counters published
    statements = sidecar.metric("tandem_send_statements_total") - statements_before
    assert 2 <= statements < len(answers), statements


def test_history_gives_the_newest_fifty_then_twenty_per_page(world, make_sidecar) -> None:
    sidecar = make_sidecar(rate_burst=1000)
    with open_socket(chat_url(sidecar, world.chat), world.cookie(world.ann)) as ann:
        next_frame(ann)
        for i in range(75):
            send_message(ann, f"h-{i}", f"n{i}")
        send_frame(ann, "history")
        newest = wait_for(ann, of_type("history"))
        assert [m["seq"] for m in newest["messages"]] == list(range(26, 76))
        assert newest["has_more"]
        assert newest["messages"][0]["status"] == "sent"  # bob has not received anything
        send_frame(ann, "history", before=26)
        page = wait_for(ann, of_type("history"))
        assert [m["seq"] for m in page["messages"]] == list(range(6, 26))
        assert page["has_more"]
        send_frame(ann, "history", before=6)
        last = wait_for(ann, of_type("history"))
        assert [m["seq"] for m in last["messages"]] == [1, 2, 3, 4, 5]
        assert not last["has_more"]


def test_bad_frames_get_a_typed_error_naming_the_field_and_the_socket_stays_usable(world, sidecar) -> None:
    with open_socket(chat_url(sidecar, world.chat), world.cookie(world.ann)) as ann:
        next_frame(ann)
        cases = [
            ({"type": "send", "client_id": "x1"}, "missing_field", "body"),
            ({"type": "send", "client_id": "x2", "body": "   "}, "body_empty", "body"),
            ({"type": "send", "client_id": "bad id!", "body": "hi"}, "client_id_invalid", "client_id"),
            ({"type": "send", "client_id": "x3", "body": "hi", "chat": 999}, "forbidden", "chat"),
            ({"type": "read", "upto": "7"}, "message_id_invalid", "upto"),
            ({"type": "history", "limit": 5000}, "invalid_field", "limit"),
        ]
        for frame, code, field in cases:
            send_frame(ann, frame.pop("type"), **frame)
            error = wait_for(ann, of_type("error"))
            assert error["code"] == code, error
            assert field in error["message"], error
        assert send_message(ann, "ok-after", "still works")["type"] == "ack"


def test_a_notifications_socket_hears_every_chat_of_the_user(world, sidecar) -> None:
    with (
        open_socket(sidecar.ws_url("/ws/notifications/"), world.cookie(world.bob)) as bob_inbox,
        open_socket(chat_url(sidecar, world.chat), world.cookie(world.ann)) as ann,
    ):
        next_frame(bob_inbox)
        next_frame(ann)
        send_message(ann, "n-1", "to your inbox")
        assert wait_for(bob_inbox, of_type("message"))["body"] == "to your inbox"
        send_frame(bob_inbox, "read", chat=world.chat.pk, upto=1)
        assert wait_for(ann, of_type("status", status="read"))["upto"] == 1
        assert wait_for(bob_inbox, of_type("receipt", kind="read"))["upto"] == 1  # the reader's tabs


def test_a_non_member_cannot_send_or_read_through_notifications(world, sidecar) -> None:
    with open_socket(sidecar.ws_url("/ws/notifications/"), world.cookie(world.eve)) as eve:
        next_frame(eve)
        assert send_message(eve, "e-1", "let me in", chat=world.chat.pk)["code"] == "forbidden"
        send_frame(eve, "history", chat=world.chat.pk)
        assert wait_for(eve, of_type("error"))["code"] == "forbidden"
        send_frame(eve, "sync", chat=world.chat.pk, after=0)
        assert wait_for(eve, of_type("error"))["code"] == "forbidden"


def test_expired_pending_deliveries_are_purged_and_the_messages_stay(world, make_sidecar) -> None:
    """Rows version 1 of the SQL functions wrote (an older sidecar during a rolling deploy)."""
    import time

    from django.utils import timezone
    from tandem.models import Message, Undelivered

    sidecar = make_sidecar(pending_expiry=0.2, pending_purge_interval=0.2)
    with open_socket(chat_url(sidecar, world.chat), world.cookie(world.ann)) as ann:
        next_frame(ann)
        send_message(ann, "gone-1", "bob never came")
    now = timezone.now()
    Undelivered.objects.create(user=world.bob, chat=world.chat, first_seq=1, created_at=now, expires_at=now)
    deadline = time.monotonic() + 10
    while Undelivered.objects.filter(user=world.bob).exists():
        assert time.monotonic() < deadline, "the pending entry was not purged"
        time.sleep(0.1)
    assert Message.objects.filter(client_id="gone-1").exists()
    assert "tandem_pending_purged_total 1" in sidecar.get("/metrics")[1]


def test_read_receipts_off_in_a_1to1_chat_show_delivered_only_but_groups_always_show_read(
    world, sidecar, django_user_model
) -> None:
    from tandem.models import Chat, UserSettings

    UserSettings.objects.create(user=world.bob, read_receipts=False)
    with (
        open_socket(chat_url(sidecar, world.chat), world.cookie(world.ann)) as ann,
        open_socket(chat_url(sidecar, world.chat), world.cookie(world.bob)) as bob,
    ):
        next_frame(ann)
        next_frame(bob)
        ack = send_message(ann, "priv-1", "seen?")
        send_frame(bob, "read", upto=ack["seq"])
        assert wait_for(ann, of_type("status"))["status"] == "delivered"
        assert [f for f in frames_within(ann, 1.0) if f.get("status") == "read"] == []
        send_frame(ann, "history")
        assert wait_for(ann, of_type("history"))["messages"][-1]["status"] == "delivered"

    cy = django_user_model.objects.create_user("cy", password="pw-cy")
    group = Chat.create_with_members([world.ann, world.bob, cy], title="trio")
    with (
        open_socket(chat_url(sidecar, group), world.cookie(world.ann)) as ann,
        open_socket(chat_url(sidecar, group), world.cookie(world.bob)) as bob,
    ):
        next_frame(ann)
        next_frame(bob)
        ack = send_message(ann, "priv-g", "group")
        send_frame(bob, "read", upto=ack["seq"])
    with open_socket(chat_url(sidecar, group), world.cookie(cy)) as cy_ws:
        next_frame(cy_ws)
        send_frame(cy_ws, "read", upto=ack["seq"])
        send_frame(cy_ws, "history")
        wait_for(cy_ws, of_type("history"))
    with open_socket(chat_url(sidecar, group), world.cookie(world.ann)) as ann:
        next_frame(ann)
        send_frame(ann, "history")
        assert wait_for(ann, of_type("history"))["messages"][-1]["status"] == "read"
