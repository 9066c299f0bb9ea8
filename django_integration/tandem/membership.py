"""Adding and removing chat members, live: the row changes first, and once it has committed
every socket of that user, on every sidecar process, is told through the user's group
(`tandem.membership`), so a removed member stops hearing the chat at once and an added one
starts without reconnecting (docs/protocol.md, "Membership")."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from tandem.groups import user_group
from tandem.messaging import _after_commit, database_for_tandem
from tandem.models import Chat, ChatMember
from tandem.publishing import publish, publish_many


def membership_event(chat_id: int, member: bool) -> dict[str, Any]:
    return {"type": "tandem.membership", "chat": chat_id, "member": member}


def tell_member_after_commit(chat_id: int, user_id: int, member: bool, using: str) -> None:
    """Tells the user's sockets they joined (or left) the chat, once the transaction on `using`
    has committed: a socket must never leave or join on a change a rollback could still undo."""
    _after_commit(lambda: publish(user_group(user_id), membership_event(chat_id, member)), using)


def tell_members_after_commit(chat_id: int, user_ids: list[int], using: str, *, member: bool = True) -> None:
    """tell_member_after_commit(chat_id, user, member, using) for each of `user_ids`, published
    together (tandem.publishing.publish_many): a new chat's members, or a deleted chat's."""
    events = [(user_group(user_id), membership_event(chat_id, member)) for user_id in user_ids]
    _after_commit(lambda: publish_many(events), using)


def add_member(chat: Chat | int, user: Any, *, using: str | None = None) -> bool:
    """Makes `user` a member of `chat`; False when they already were. `using`: as in
    tandem.messaging (default: the alias the routers pick for Tandem's models)."""
    chat_id = chat if isinstance(chat, int) else chat.pk
    using = database_for_tandem(using)
    with transaction.atomic(using=using):
        # A new row tells the user's sockets once committed (tandem.signals).
        _, created = ChatMember.objects.using(using).get_or_create(chat_id=chat_id, user_id=user.pk)
    return created


def remove_member(chat: Chat | int, user: Any, *, using: str | None = None) -> bool:
    """Ends `user`'s membership of `chat` (leaving a group is the same call); False when they
    were not a member."""
    chat_id = chat if isinstance(chat, int) else chat.pk
    using = database_for_tandem(using)
    with transaction.atomic(using=using):
        # The deleted row tells the user's sockets once committed (tandem.signals).
        deleted, _ = ChatMember.objects.using(using).filter(chat_id=chat_id, user_id=user.pk).delete()
    return bool(deleted)
