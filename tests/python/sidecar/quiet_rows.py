"""Membership rows changed the way code outside Django's ORM would change them: no signal, so
no socket is told (tandem.signals tells them of any ORM save or delete). What the sidecar's
periodic re-check, or a send's own membership check, must catch."""

from __future__ import annotations

from typing import Any


def delete_member_row_by_sql(chat: Any, user: Any) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM tandem_chatmember WHERE chat_id = %s AND user_id = %s", [chat.pk, user.pk])


def insert_member_row_quietly(chat: Any, user: Any) -> None:
    from tandem.models import ChatMember

    ChatMember.objects.bulk_create([ChatMember(chat=chat, user=user)])  # bulk_create sends no signal
