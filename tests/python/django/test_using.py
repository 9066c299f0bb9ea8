"""`using=` and database routers: a site that keeps Tandem's tables in a second database (the
test project's "chats" alias, a second database on the same PostgreSQL) gets every read and
write of the messaging API, the membership functions and the views there, and none in the
default database; publishing waits for that database's commit."""

from __future__ import annotations

import json
from typing import Any

import pytest
import tandem_core
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.db import connections
from tandem import membership, messaging, publishing
from tandem.groups import chat_group, user_group
from tandem.models import Chat, ChatMember, Message, ReceiptEvent
from tandem.testing import capture_layer_events

pytestmark = pytest.mark.django_db(databases=["default", "chats"])

ALIAS = "chats"


class TandemInChats:
    """A router that puts Tandem's models in the "chats" database, the rest in "default"."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return ALIAS if model._meta.app_label == "tandem" else None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return ALIAS if model._meta.app_label == "tandem" else None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # users live in both databases under the same ids


def users_in_both(*names: str) -> list[Any]:
    """Users in the default database (logins) and, with the same ids, in "chats" (the member
    rows reference them there)."""
    users = [get_user_model().objects.create_user(n, password="pw") for n in names]
    for user in users:
        user.save(using=ALIAS)
    return users


def rows(model: Any, alias: str) -> int:
    return model.objects.using(alias).count()


def test_the_api_and_membership_use_the_alias_given(django_capture_on_commit_callbacks: Any) -> None:
    ann, bob, cy = users_in_both("ann", "bob", "cy")
    chat = Chat.create_with_members([ann, bob], using=ALIAS)
    assert rows(Chat, ALIAS) == 1
    assert rows(Chat, "default") == 0

    with capture_layer_events() as captured:
        with django_capture_on_commit_callbacks(using=ALIAS, execute=True) as on_chats_commit:
            message, duplicate = messaging.send_message(
                chat_id=chat.pk, sender_id=ann.pk, client_id="c1", body="hi", using=ALIAS
            )
        assert on_chats_commit, "the publish waits for the commit of the database that stored it"
        assert captured.to(chat_group(chat.pk))[0]["seq"] == message.seq
        with django_capture_on_commit_callbacks(using=ALIAS, execute=True):
            assert membership.add_member(chat, cy, using=ALIAS)
        assert captured.to(user_group(cy.pk))[-1] == membership.membership_event(chat.pk, True)

    assert (message.seq, duplicate) == (1, False)
    again, duplicate = messaging.send_message(
        chat_id=chat.pk, sender_id=ann.pk, client_id="c1", body="hi", using=ALIAS
    )
    assert (again.id, duplicate) == (message.id, True)
    messaging.apply_receipt(
        chat_id=chat.pk, user_id=bob.pk, kind=tandem_core.ReceiptKind.READ, upto=1, using=ALIAS
    )
    assert [
        m["seq"] for m in messaging.history(chat_id=chat.pk, viewer_id=bob.pk, using=ALIAS)["messages"]
    ] == [1]
    assert messaging.missed(chat_id=chat.pk, viewer_id=bob.pk, after=0, using=ALIAS)["last_seq"] == 1
    info = messaging.message_info(chat_id=chat.pk, viewer_id=ann.pk, seq=1, using=ALIAS)
    assert info["status"] == "read"
    assert async_to_sync(messaging.ahistory)(chat_id=chat.pk, viewer_id=ann.pk, using=ALIAS)["messages"]
    assert membership.remove_member(chat, cy, using=ALIAS)

    assert (rows(Message, ALIAS), rows(ReceiptEvent, ALIAS), rows(ChatMember, ALIAS)) == (1, 2, 2)
    for model in (Chat, ChatMember, Message, ReceiptEvent):
        assert rows(model, "default") == 0, f"{model.__name__} written to the default database"


def test_the_views_follow_the_sites_database_router(client: Any, settings: Any, monkeypatch) -> None:
    settings.DATABASE_ROUTERS = [f"{__name__}.TandemInChats"]
    ann, bob = users_in_both("ann", "bob")
    chat = Chat.create_with_members([ann, bob])  # no using=: the router decides
    assert rows(Chat, ALIAS) == 1
    # An ATOMIC_REQUESTS transaction on Tandem's database would hold the chat's lock for the
    # whole request: the views stay out of it there too (filterwarnings=error fails a warning).
    monkeypatch.setitem(connections[ALIAS].settings_dict, "ATOMIC_REQUESTS", True)
    monkeypatch.setattr(publishing, "_layer_send", lambda group, event: None)
    client.force_login(ann)
    url = f"/tandem/api/chats/{chat.pk}/messages/"
    sent = client.post(url, json.dumps({"client_id": "v1", "body": "hello"}), content_type="application/json")
    assert sent.status_code == 201, sent.content
    assert [m["body"] for m in client.get(url).json()["messages"]] == ["hello"]
    assert client.get(url, {"after": 0}).json()["last_seq"] == 1
    assert (rows(Message, ALIAS), rows(Message, "default")) == (1, 0)
    client.force_login(bob)
    read = client.post(
        f"/tandem/api/chats/{chat.pk}/receipts/",
        json.dumps({"kind": "read", "upto": 1}),
        content_type="application/json",
    )
    assert read.status_code < 300, read.content
    assert ChatMember.objects.using(ALIAS).get(chat=chat, user_id=bob.pk).read_upto == 1
