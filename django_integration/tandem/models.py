"""The tables the sidecar reads: chats and who takes part in them (messages come later)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models, transaction


class Chat(models.Model):
    """A conversation: two people, or a named group."""

    id = models.BigAutoField(primary_key=True)
    title = models.CharField(max_length=200, blank=True)
    is_group = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Named explicitly: the sidecar queries these tables by name (docs/configuration.md).
        db_table = "tandem_chat"

    def __str__(self) -> str:
        return self.title or f"chat {self.pk}"

    @classmethod
    def create_with_members(
        cls, users: Iterable[Any], *, title: str = "", is_group: bool | None = None
    ) -> Chat:
        """A chat and its member rows in one transaction; more than two people make a group
        unless `is_group` says otherwise."""
        members = list(dict.fromkeys(users))  # the same user twice would break the unique pair
        group = len(members) > 2 if is_group is None else is_group
        with transaction.atomic():
            chat = cls.objects.create(title=title, is_group=group)
            ChatMember.objects.bulk_create(ChatMember(chat=chat, user=user) for user in members)
        return chat


class ChatMember(models.Model):
    """One participant of one chat: the row that lets a user open /ws/chat/<chat_id>/."""

    # No separate index on chat: the unique (chat, user) pair starts with it.
    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="members", db_index=False)
    # Indexed by the named index below instead of Django's hashed FK index name.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="tandem_memberships",
        db_index=False,
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "tandem_chatmember"
        constraints = (models.UniqueConstraint(fields=["chat", "user"], name="tandem_chatmember_unique"),)
        indexes = (models.Index(fields=["user"], name="tandem_chatmember_user_idx"),)

    def __str__(self) -> str:
        return f"user {self.user_id} in chat {self.chat_id}"
