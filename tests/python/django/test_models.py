"""Chats and members in real PostgreSQL: the tables, constraint and index the sidecar relies on."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, connection
from tandem.models import Chat, ChatMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(django_user_model: Any) -> list[Any]:
    return [django_user_model.objects.create_user(name, password="pw") for name in ("ann", "bob", "cy")]


def test_a_chat_is_created_with_its_members(users: list[Any]) -> None:
    chat = Chat.create_with_members(users[:2])
    assert not chat.is_group
    assert sorted(chat.members.values_list("user__username", flat=True)) == ["ann", "bob"]
    assert list(users[0].tandem_memberships.values_list("chat_id", flat=True)) == [chat.pk]


def test_three_people_make_a_group_unless_told_otherwise(users: list[Any]) -> None:
    assert Chat.create_with_members(users, title="trip").is_group
    assert not Chat.create_with_members(users, is_group=False).is_group


def test_a_repeated_user_is_one_member(users: list[Any]) -> None:
    chat = Chat.create_with_members([users[0], users[1], users[0]])
    assert chat.members.count() == 2


def test_the_same_user_cannot_join_a_chat_twice(users: list[Any]) -> None:
    chat = Chat.create_with_members(users[:2])
    with pytest.raises(IntegrityError, match="tandem_chatmember_unique"):
        ChatMember.objects.create(chat=chat, user=users[0])


def test_deleting_a_chat_or_a_user_removes_the_membership(users: list[Any]) -> None:
    first, second = Chat.create_with_members(users[:2]), Chat.create_with_members(users[1:])
    first.delete()
    users[2].delete()
    assert list(ChatMember.objects.values_list("chat_id", "user_id")) == [(second.pk, users[1].pk)]


def test_the_tables_are_named_and_indexed_as_the_sidecar_queries_them() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'tandem_chatmember'")
        indexes = dict(cursor.fetchall())
    assert "(chat_id, user_id)" in indexes["tandem_chatmember_unique"]
    assert "(user_id)" in indexes["tandem_chatmember_user_idx"]
    # No more than the primary key, the pair and the user index: the pair serves chat lookups.
    assert len(indexes) == 3
    assert Chat._meta.db_table == "tandem_chat"


def test_chats_and_members_are_in_the_admin(admin_client: Any, users: list[Any]) -> None:
    chat = Chat.create_with_members(users[:2], title="pair")
    assert b"pair" in admin_client.get("/admin/tandem/chat/").content
    page = admin_client.get(f"/admin/tandem/chat/{chat.pk}/change/")
    assert page.status_code == 200
    assert b'name="members-TOTAL_FORMS" value="2"' in page.content
    assert admin_client.get("/admin/tandem/chatmember/").status_code == 200
