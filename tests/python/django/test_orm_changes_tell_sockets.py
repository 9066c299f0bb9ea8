"""Membership and privacy rows changed through the ORM anywhere (the admin and its inlines, site
code, a cascade when a chat or a user is deleted) tell the sockets concerned once committed,
as tandem.membership and tandem.privacy do (tandem.signals); nothing is told for a change that
rolls back, nor for a save that moves nobody. A new chat tells its members together."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.db import connection, transaction
from tandem import publishing, signals
from tandem.models import Chat, ChatMember, PresenceVisibility, UserSettings

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people(django_user_model: Any) -> dict[str, Any]:
    return {n: django_user_model.objects.create_user(n, password="pw") for n in ("ann", "bob", "cy")}


class RolledBack(Exception):
    pass


def rolled_back(change: Callable[[], object]) -> None:
    """Runs `change` in a transaction that then rolls back."""
    try:
        with transaction.atomic():
            change()
            raise RolledBack
    except RolledBack:
        pass


def membership(sent: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, int, bool]]:
    return [(g, e["chat"], e["member"]) for g, e in sent if e["type"] == "tandem.membership"]


def test_a_new_chat_tells_each_member_once_committed(people, sent) -> None:
    chat = Chat.create_with_members(list(people.values()), title="trio")
    assert membership(sent) == [(f"user_{u.pk}", chat.pk, True) for u in people.values()]
    sent.clear()
    rolled_back(lambda: Chat.create_with_members([people["ann"], people["bob"]]))
    assert sent == []


def test_member_rows_saved_or_deleted_through_the_orm_tell_their_users(people, sent) -> None:
    ann, bob, cy = people["ann"], people["bob"], people["cy"]
    chat = Chat.create_with_members([ann, bob], title="pair", is_group=True)
    sent.clear()
    row = ChatMember.objects.create(chat=chat, user=cy)  # an operator's add in the admin
    assert membership(sent) == [(f"user_{cy.pk}", chat.pk, True)]
    sent.clear()
    row.joined_at = row.joined_at  # a save that moves nobody
    row.save()
    assert sent == []
    row.user = ann  # not written (update_fields): nobody moved
    row.save(update_fields=["joined_at"])
    assert sent == []
    row.refresh_from_db()
    other = Chat.create_with_members([ann, bob], title="other", is_group=True)
    sent.clear()
    row.chat = other
    row.save()
    assert membership(sent) == [(f"user_{cy.pk}", chat.pk, False), (f"user_{cy.pk}", other.pk, True)]
    sent.clear()
    row.delete()
    assert membership(sent) == [(f"user_{cy.pk}", other.pk, False)]


def test_deleting_a_chat_or_a_user_tells_the_members_they_left(people, sent) -> None:
    ann, bob, cy = people["ann"], people["bob"], people["cy"]
    chat = Chat.create_with_members([ann, bob, cy], title="trio")
    pair = Chat.create_with_members([ann, cy])
    sent.clear()
    chat_id = chat.pk
    chat.delete()
    assert sorted(membership(sent)) == sorted((f"user_{u.pk}", chat_id, False) for u in (ann, bob, cy))
    sent.clear()
    cy.delete()  # nobody left to tell: a deleted user's sockets close at their re-check
    assert membership(sent) == []
    assert ChatMember.objects.filter(chat=pair).count() == 1


def test_add_member_and_remove_member_tell_once_each(people, sent) -> None:
    from tandem.membership import add_member, remove_member

    chat = Chat.create_with_members([people["ann"], people["bob"]], title="pair", is_group=True)
    sent.clear()
    assert add_member(chat, people["cy"])
    assert not add_member(chat, people["cy"])
    assert remove_member(chat, people["cy"])
    assert not remove_member(chat, people["cy"])
    cy = f"user_{people['cy'].pk}"
    assert membership(sent) == [(cy, chat.pk, True), (cy, chat.pk, False)]


def test_a_rolled_back_removal_tells_nobody(people, sent) -> None:
    chat = Chat.create_with_members([people["ann"], people["bob"]])
    sent.clear()
    rolled_back(lambda: ChatMember.objects.filter(chat=chat).delete())
    assert sent == []


def test_a_settings_row_saved_through_the_orm_is_announced(people, sent) -> None:
    ann, bob = people["ann"], people["bob"]
    Chat.create_with_members([ann, bob])
    sent.clear()
    row = UserSettings.objects.create(user=ann, presence_visibility=PresenceVisibility.NOBODY)
    privacy = [(g, e) for g, e in sent if e["type"] == "tandem.privacy"]
    assert privacy == [(f"user_{ann.pk}", {"type": "tandem.privacy", "presence_visibility": "nobody"})]
    # Bob may no longer see ann: told to forget what he shows of her.
    assert (f"user_{bob.pk}", ann.pk, True) in [
        (g, e["user"], e.get("hidden", False)) for g, e in sent if e["type"] == "presence.update"
    ]
    sent.clear()
    row.read_receipts = False  # no visibility change: nothing to tell
    row.save()
    assert sent == []
    row.presence_visibility = PresenceVisibility.CONTACTS  # not written (update_fields)
    row.save(update_fields=["read_receipts"])
    assert sent == []
    row.refresh_from_db()
    row.delete()  # the defaults again: everyone
    assert [e["presence_visibility"] for _, e in sent if e["type"] == "tandem.privacy"] == ["everyone"]


def test_once_the_layer_fails_a_batchs_other_publishes_are_held_without_waiting_on_it(
    people, monkeypatch: pytest.MonkeyPatch
) -> None:
    tried: list[str] = []

    def down(group: str, event: dict[str, Any]) -> None:
        tried.append(group)
        raise ConnectionError("layer down")

    monkeypatch.setattr(publishing, "_layer_send", down)
    monkeypatch.setattr(publishing.republisher, "_start_worker", lambda: None)  # no retries here
    Chat.create_with_members(list(people.values()), title="trio")
    assert tried == [f"user_{people['ann'].pk}"]  # one attempt, not one per member
    assert publishing.republisher.waiting()[0] == 3


def test_a_stored_visibility_this_build_does_not_know_is_announced_as_nobody(people, sent) -> None:
    UserSettings.objects.create(user=people["ann"], presence_visibility=7)
    assert [e["presence_visibility"] for _, e in sent if e["type"] == "tandem.privacy"] == ["nobody"]


def saved_at_once(model: type[Any], pk: int, first: dict[str, Any], second: dict[str, Any]) -> bool:
    """Two saves of one row, as two admins at once: each in its own transaction on its own
    connection, the second begun while the first has saved and not yet committed. Returns
    whether the second waited for the first's commit."""
    first_saved, commit = threading.Event(), threading.Event()
    failures: list[Exception] = []

    def save(values: dict[str, Any], hold: bool) -> None:
        try:
            with transaction.atomic():
                row = model.objects.get(pk=pk)
                for field, value in values.items():
                    setattr(row, field, value)
                row.save()
                if hold:
                    first_saved.set()
                    commit.wait(30)
        except Exception as failure:  # noqa: BLE001 (shown by the test, not lost in the thread)
            failures.append(failure)
            first_saved.set()
        finally:
            connection.close()

    one = threading.Thread(target=save, args=(first, True))
    one.start()
    assert first_saved.wait(30)
    assert not failures, failures
    two = threading.Thread(target=save, args=(second, False))
    two.start()
    two.join(1.0)
    waited = two.is_alive()
    commit.set()
    one.join(30)
    two.join(30)
    assert not one.is_alive()
    assert not two.is_alive()
    assert not failures, failures
    return waited


def test_two_saves_of_one_member_row_at_once_each_compare_with_what_the_other_stored(people, sent) -> None:
    ann, bob = people["ann"], people["bob"]
    first = Chat.create_with_members([ann, bob], is_group=True)
    second, third = (Chat.create_with_members([ann], is_group=True) for _ in range(2))
    row = ChatMember.objects.get(chat=first, user=bob)
    sent.clear()
    # Moved to the second chat, and at once to the third: bob joined the second, then left it.
    assert saved_at_once(ChatMember, row.pk, {"chat_id": second.pk}, {"chat_id": third.pk})
    assert membership(sent) == [
        (f"user_{bob.pk}", first.pk, False),
        (f"user_{bob.pk}", second.pk, True),
        (f"user_{bob.pk}", second.pk, False),  # compared with the first chat, never told
        (f"user_{bob.pk}", third.pk, True),
    ]


def test_two_saves_of_one_settings_row_at_once_each_compare_with_what_the_other_stored(
    people, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann = people["ann"]
    row = UserSettings.objects.create(user=ann)  # everyone
    told: list[tuple[int, int, int]] = []
    monkeypatch.setattr(
        signals,
        "tell_visibility_changed",
        lambda user, before, after, using=None: told.append((user, before, after)),
    )
    nobody, contacts = (
        {"presence_visibility": PresenceVisibility.NOBODY},
        {"presence_visibility": PresenceVisibility.CONTACTS},
    )
    assert saved_at_once(UserSettings, row.pk, nobody, contacts)
    # The second change is from "nobody" (who may see ann now: her contacts), not from "everyone".
    assert told == [
        (ann.pk, PresenceVisibility.EVERYONE, PresenceVisibility.NOBODY),
        (ann.pk, PresenceVisibility.NOBODY, PresenceVisibility.CONTACTS),
    ]


@pytest.mark.parametrize("thread", ["fresh", "after_async_to_sync"])
def test_a_new_chats_members_are_told_over_one_layer_connection(
    channel_layer_redis: Any, django_user_model: Any, thread: str
) -> None:
    if thread == "after_async_to_sync":
        # Sync code run for an async_to_sync in this thread (an async helper called from a
        # view) leaves asgiref's record of a server loop behind, closed: it must not count.
        async_to_sync(sync_to_async(lambda: None))()
    members = [django_user_model.objects.create_user(f"member{i}", password="pw") for i in range(12)]
    layer = get_channel_layer()

    async def listen() -> list[str]:  # a socket of each member's, as the sidecar's would be
        channels = [await layer.new_channel() for _ in members]
        for member, channel in zip(members, channels, strict=True):
            await layer.group_add(f"user_{member.pk}", channel)
        return channels

    channels = async_to_sync(listen)()
    stats = channel_layer_redis.client()
    before = stats.info("stats")["total_connections_received"]
    chat = Chat.create_with_members(members, title="a dozen", is_group=True)
    # One connection for the twelve publishes (channels_redis keeps one per event loop), not
    # one per member: the probe's own connection was opened before the count was taken.
    assert stats.info("stats")["total_connections_received"] - before == 1

    async def heard() -> list[dict[str, Any]]:
        return [await layer.receive(channel) for channel in channels]

    assert [(e["type"], e["chat"], e["member"]) for e in async_to_sync(heard)()] == [
        ("tandem.membership", chat.pk, True)
    ] * len(members)
