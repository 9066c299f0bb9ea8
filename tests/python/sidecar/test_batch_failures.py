"""What becomes of a batch of sends or receipts (send_batch_max, receipt_batch_max) that
PostgreSQL refuses as a whole: because of one request (a site trigger refusing it), or because it
met a row another transaction holds. Each request is applied again alone, all at once: only the
request at fault fails, and a locked row holds up only its own requests, never the rest of the
batch. Real PostgreSQL, Redis and sockets; one I/O thread where the test needs requests to
arrive on the same thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from chatclient import of_type, send_frame, wait_for
from wsclient import next_frame, open_socket


def chat_url(sidecar: Any, chat: Any) -> str:
    return sidecar.ws_url(f"/ws/chat/{chat.pk}/")


def answer_to(ws: Any, client_id: str) -> dict[str, Any]:
    """The ack or the error answering the send `client_id`."""
    return wait_for(
        ws,
        lambda f: f["type"] in ("ack", "error") and client_id in (f.get("client_id"), f.get("ref")),
        timeout=30,
    )


@contextmanager
def row_locked(sql: str, seconds: float) -> Iterator[None]:
    """Another transaction holds the rows `sql` locks (SELECT ... FOR UPDATE) for `seconds`."""
    held = threading.Event()

    def hold() -> None:
        from django.db import connection, transaction

        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql)
                held.set()
                time.sleep(seconds)
        finally:
            held.set()
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(30)
    try:
        yield
    finally:
        holder.join()


def test_a_send_that_fails_fails_alone_and_the_rest_of_its_batch_is_stored(
    world, make_sidecar, django_user_model
) -> None:
    """A site trigger refuses one body: every batch holding such a send is refused as a whole
    by PostgreSQL, then stored again send by send, so only the refused sends fail and every
    other send of those batches is stored and acknowledged once."""
    from contextlib import ExitStack

    from django.db import connection
    from tandem.models import Chat, Message

    sidecar = make_sidecar(rate_burst=100)
    members = [django_user_model.objects.create_user(f"p{i}", password="pw") for i in range(20)]
    group = Chat.create_with_members([world.ann, *members], title="poison")
    url = chat_url(sidecar, group)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.body LIKE 'poison%' THEN RAISE EXCEPTION 'refused by the site'; END IF; "
            "RETURN NEW; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER test_refuse_poison BEFORE INSERT ON tandem_message "
            "FOR EACH ROW EXECUTE FUNCTION test_refuse_poison()"
        )
    try:
        with ExitStack() as stack:
            sockets = [stack.enter_context(open_socket(url, world.cookie(m))) for m in members]
            for ws in sockets:
                next_frame(ws)
            for kind in ("fine", "poison", "after"):
                for i, ws in enumerate(sockets):
                    send_frame(ws, "send", client_id=f"{kind}-{i}", body=f"{kind} {i}")
            answers = {}
            for i, ws in enumerate(sockets):
                for kind in ("fine", "poison", "after"):
                    client_id = f"{kind}-{i}"
                    answers[client_id] = wait_for(
                        ws,
                        lambda f, c=client_id: (
                            f["type"] in ("ack", "error") and c in (f.get("client_id"), f.get("ref"))
                        ),
                    )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER test_refuse_poison ON tandem_message")
            cursor.execute("DROP FUNCTION test_refuse_poison()")
    refused = {c for c, a in answers.items() if a["type"] == "error"}
    assert refused == {f"poison-{i}" for i in range(len(members))}, answers
    stored = sorted(Message.objects.filter(chat=group).values_list("client_id", flat=True))
    assert stored == sorted(c for c in answers if c not in refused)
    assert sorted(a["seq"] for c, a in answers.items() if c not in refused) == list(range(1, len(stored) + 1))
    assert "event=send_batch_refused" in sidecar.log()  # some went together, and were stored again alone


def test_a_locked_chat_holds_up_only_its_own_sends(world, make_sidecar, django_user_model) -> None:
    """One chat's row is held by another transaction longer than db_timeout. The sends to it that
    went together with sends to another chat make the batch wait until the server gives up (lock
    timeout): the batch is stored again send by send, so the other chat's sends are all stored
    and acknowledged, and only the locked chat's fail (store_unavailable: retry)."""
    from tandem.models import Chat, Message

    sidecar = make_sidecar(threads=1, db_timeout=1, rate_burst=100)
    locked_members = [django_user_model.objects.create_user(f"l{i}", password="pw") for i in range(5)]
    free_members = [django_user_model.objects.create_user(f"f{i}", password="pw") for i in range(5)]
    locked = Chat.create_with_members([world.ann, *locked_members], title="locked")
    free = Chat.create_with_members([world.ann, *free_members], title="free")
    with ExitStack() as stack:
        to_locked = [
            stack.enter_context(open_socket(chat_url(sidecar, locked), world.cookie(m)))
            for m in locked_members
        ]
        to_free = [
            stack.enter_context(open_socket(chat_url(sidecar, free), world.cookie(m))) for m in free_members
        ]
        for ws in (*to_locked, *to_free):
            next_frame(ws)
        with row_locked(f"SELECT 1 FROM tandem_chat WHERE id = {locked.pk} FOR UPDATE", 3.0):
            # The first send goes alone and waits on the lock; the rest arrive meanwhile and go
            # together, the locked chat's with the free chat's.
            for i, ws in enumerate((*to_locked, *to_free)):
                send_frame(ws, "send", client_id=f"x{i}", body="waiting")
            answers = [answer_to(ws, f"x{i}") for i, ws in enumerate((*to_locked, *to_free))]
    free_answers = answers[len(to_locked) :]
    assert all(a["type"] == "ack" for a in free_answers), free_answers
    for a in answers[: len(to_locked)]:
        assert a["type"] == "ack" or a["code"] == "store_unavailable", a
    assert Message.objects.filter(chat=free).count() == len(free_members)
    assert "event=send_batch_refused" in sidecar.log()  # they did go together, and again alone


def test_a_locked_member_row_holds_up_only_its_own_receipt(world, make_sidecar, django_user_model) -> None:
    """One member's row is held by another transaction longer than db_timeout while a group's
    members acknowledge a message. That member's receipts make the batch they went in wait until
    the server gives up: the batch is applied again receipt by receipt, so every other member's
    marker moves and only the locked member's receipt fails."""
    from tandem.models import Chat, ChatMember

    sidecar = make_sidecar(threads=1, db_timeout=1, rate_burst=100)
    members = [django_user_model.objects.create_user(f"r{i}", password="pw") for i in range(10)]
    group = Chat.create_with_members([world.ann, *members], title="receipts")
    url = chat_url(sidecar, group)
    slow = members[0]
    with ExitStack() as stack:
        ann = stack.enter_context(open_socket(url, world.cookie(world.ann)))
        # Two tabs of the locked member: the first's receipt goes alone and waits on the lock,
        # the second's goes in the batch with everyone else's.
        slow_tabs = [stack.enter_context(open_socket(url, world.cookie(slow))) for _ in range(2)]
        others = [stack.enter_context(open_socket(url, world.cookie(m))) for m in members[1:]]
        for ws in (ann, *slow_tabs, *others):
            next_frame(ws)
        send_frame(ann, "send", client_id="r-1", body="everyone")
        seq = answer_to(ann, "r-1")["seq"]
        for ws in (*slow_tabs, *others):
            wait_for(ws, of_type("message"))
        row = f"SELECT 1 FROM tandem_chatmember WHERE chat_id = {group.pk} AND user_id = {slow.pk} FOR UPDATE"
        with row_locked(row, 3.0):
            for ws in (*slow_tabs, *others):
                send_frame(ws, "delivered", upto=seq)
            time.sleep(2.0)  # the lone receipt's wait, then the batch's, then each alone
    moved = dict(
        ChatMember.objects.filter(chat=group, user__in=members[1:]).values_list("user_id", "delivered_upto")
    )
    assert set(moved.values()) == {seq}, moved
    assert "event=receipt_batch_refused" in sidecar.log()  # they did go together, and again alone
