"""Membership and privacy rows changed through the ORM anywhere (the admin and its inlines, site
code, a cascade when a chat or a user is deleted) tell the sockets concerned once committed,
as tandem.membership and tandem.privacy do (tandem.signals); nothing is told for a change that
rolls back, nor for a save that moves nobody. A new chat tells its members together."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from tandem import publishing
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
