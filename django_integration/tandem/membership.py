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
from tandem.publishing import publish


def membership_event(chat_id: int, member: bool) -> dict[str, Any]:
    return {"type": "tandem.membership", "chat": chat_id, "member": member}


def _tell_after_commit(chat_id: int, user_id: int, member: bool, using: str) -> None:
    # After commit: a socket must never leave or join on a change a rollback could still undo.
    _after_commit(lambda: publish(user_group(user_id), membership_event(chat_id, member)), using)


def add_member(chat: Chat | int, user: Any, *, using: str | None = None) -> bool:
    """Makes `user` a member of `chat`; False when they already were. `using`: as in
    tandem.messaging (default: the alias the routers pick for Tandem's models)."""
    chat_id = chat if isinstance(chat, int) else chat.pk
    using = database_for_tandem(using)
    with transaction.atomic(using=using):
        _, created = ChatMember.objects.using(using).get_or_create(chat_id=chat_id, user_id=user.pk)
        if created:
            _tell_after_commit(chat_id, user.pk, True, using)
    return created


def remove_member(chat: Chat | int, user: Any, *, using: str | None = None) -> bool:
    """Ends `user`'s membership of `chat` (leaving a group is the same call); False when they
    were not a member."""
    chat_id = chat if isinstance(chat, int) else chat.pk
    using = database_for_tandem(using)
    with transaction.atomic(using=using):
        deleted, _ = ChatMember.objects.using(using).filter(chat_id=chat_id, user_id=user.pk).delete()
        if deleted:
            _tell_after_commit(chat_id, user.pk, False, using)
    return bool(deleted)
