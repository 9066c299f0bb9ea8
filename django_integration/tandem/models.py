"""The tables the sidecar reads and writes: chats, their members with their receipt markers,
messages, the receipt log, pending deliveries and per-user status. The messaging rules that
touch several rows at once live in SQL functions (migration 0002, `sql/`), so Django and the
sidecar run exactly the same statements."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.db import models, router, transaction


class SidecarOwnedFieldsMixin(models.Model):
    """A model whose `SIDECAR_OWNED` columns are written only by the SQL functions: `save()` of
    an existing row never writes them back, so a stale copy loaded before a send (an admin
    form, a site's `chat.title = ...; chat.save()`) cannot rewind the chat's numbering or a
    member's receipts. Inserting writes them once, with their defaults."""

    SIDECAR_OWNED: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding and self.SIDECAR_OWNED:
            fields = kwargs.get("update_fields")
            if fields is None:
                fields = [f.name for f in self._meta.concrete_fields if not f.primary_key]
            kwargs["update_fields"] = [name for name in fields if name not in self.SIDECAR_OWNED]
            if not kwargs["update_fields"]:
                return
        super().save(*args, **kwargs)


class Chat(SidecarOwnedFieldsMixin):
    """A conversation: two people, or a named group."""

    SIDECAR_OWNED = ("last_seq", "last_message_at")

    id = models.BigAutoField(primary_key=True)
    title = models.CharField(max_length=200, blank=True)
    is_group = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # The seq of the newest message; bumped under this row's lock, so seq order is commit order.
    last_seq = models.BigIntegerField(default=0)
    # When the newest message was stored: a notifications socket joins the most recently active
    # chats first when a user has more than notifications_max_chats.
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Named explicitly: the sidecar queries these tables by name (docs/configuration.md).
        db_table = "tandem_chat"

    def __str__(self) -> str:
        return self.title or f"chat {self.pk}"

    @classmethod
    def create_with_members(
        cls, users: Iterable[Any], *, title: str = "", is_group: bool | None = None, using: str | None = None
    ) -> Chat:
        """A chat and its member rows in one transaction; more than two people make a group
        unless `is_group` says otherwise. `using`: the database alias (default: the one the
        routers pick for writing chats). Once committed, each member's open sockets are told,
        as by tandem.membership.add_member, so they hear the chat at once."""
        from tandem.membership import tell_members_after_commit  # (it imports this module)

        members = list(dict.fromkeys(users))  # the same user twice would break the unique pair
        group = len(members) > 2 if is_group is None else is_group
        using = using or router.db_for_write(cls)
        with transaction.atomic(using=using):
            chat = cls.objects.using(using).create(title=title, is_group=group)
            # bulk_create sends no signals (tandem.signals): the members are told here.
            ChatMember.objects.using(using).bulk_create(
                ChatMember(chat=chat, user_id=user.pk) for user in members
            )
            tell_members_after_commit(chat.pk, [user.pk for user in members], using)
        return chat


class ChatMember(SidecarOwnedFieldsMixin):
    """One participant of one chat: the row that lets a user open /ws/chat/<chat_id>/."""

    SIDECAR_OWNED = ("joined_seq", "delivered_upto", "read_upto", "delivered_at", "read_at")

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
    # The chat's last_seq when this member joined, set by the database on insert (a trigger,
    # migration 0004): earlier messages count as delivered to and read by this member.
    joined_seq = models.BigIntegerField(default=0)
    # Receipt markers: this member has received / read every message of the chat up to these
    # seqs. One row per member, however many messages: a receipt is one row write.
    delivered_upto = models.BigIntegerField(default=0)
    read_upto = models.BigIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "tandem_chatmember"
        constraints = (models.UniqueConstraint(fields=["chat", "user"], name="tandem_chatmember_unique"),)
        indexes = (models.Index(fields=["user"], name="tandem_chatmember_user_idx"),)

    def __str__(self) -> str:
        return f"user {self.user_id} in chat {self.chat_id}"


class Message(models.Model):
    """One message. `seq` numbers a chat's messages 1, 2, 3, ... with no gaps: the sync cursor."""

    id = models.BigAutoField(primary_key=True)
    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="messages", db_index=False)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tandem_messages", db_index=False
    )
    client_id = models.CharField(max_length=64)
    seq = models.BigIntegerField()
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        db_table = "tandem_message"
        constraints = (
            # A resend after a lost ack finds the first row instead of making a second. Per chat:
            # the same client_id in another chat is another message.
            models.UniqueConstraint(
                fields=["chat", "sender", "client_id"], name="tandem_message_chat_sender_client_id"
            ),
            # History, sync and "receipts by message" all walk a chat by seq.
            models.UniqueConstraint(fields=["chat", "seq"], name="tandem_message_chat_seq"),
        )

    def __str__(self) -> str:
        return f"message {self.seq} in chat {self.chat_id}"


class ReceiptKind(models.IntegerChoices):
    # Values are the C++ core's receipt_kind.
    DELIVERED = 0, "delivered"
    READ = 1, "read"


class ReceiptEvent(models.Model):
    """Append-only log of marker advances: 'member read from seq A up to seq B at T'. The
    message-info screen finds, per member, the first advance that covers a message."""

    id = models.BigAutoField(primary_key=True)
    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="receipt_events", db_index=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.SmallIntegerField(choices=ReceiptKind.choices)
    from_seq = models.BigIntegerField()
    upto_seq = models.BigIntegerField()
    at = models.DateTimeField()

    class Meta:
        db_table = "tandem_receiptevent"
        indexes = (
            models.Index(fields=["chat", "upto_seq"], name="tandem_receiptevent_chat_upto"),
            # "When did this member first receive / read seq N" (message info).
            models.Index(fields=["chat", "user", "kind", "upto_seq"], name="tandem_receiptevent_member"),
            # Deleting a user cascades here.
            models.Index(fields=["user"], name="tandem_receiptevent_user"),
            # Retention deletes by age (prune_receipt_log); rows arrive in time order, so a BRIN
            # index finds old ones for a few pages of index, at almost no cost per insert.
            BrinIndex(fields=["at"], name="tandem_receiptevent_at"),
        )

    def __str__(self) -> str:
        return f"user {self.user_id} {self.get_kind_display()} {self.from_seq}..{self.upto_seq} in chat {self.chat_id}"


class Undelivered(models.Model):
    """Pending deliveries as version 1 of the SQL functions wrote them. Version 2 writes nothing
    here: what a member has not received is `last_seq > delivered_upto` on their marker. The
    table stays while sidecars calling version 1 may still run (a rolling deploy); the sidecar
    purges expired rows."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="+", db_index=False)
    first_seq = models.BigIntegerField()
    queue_type = models.CharField(max_length=16, default="message")
    attempts = models.IntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        db_table = "tandem_undelivered"
        constraints = (models.UniqueConstraint(fields=["user", "chat"], name="tandem_undelivered_user_chat"),)
        indexes = (models.Index(fields=["expires_at"], name="tandem_undelivered_expires"),)

    def __str__(self) -> str:
        return f"user {self.user_id} pending in chat {self.chat_id} from {self.first_seq}"


class UserStatus(models.Model):
    """Presence as Django views read it: written by the sidecar."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="tandem_status"
    )
    online = models.BooleanField(default=False)
    connections = models.IntegerField(default=0)
    last_seen = models.DateTimeField(null=True, blank=True)
    last_ping = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "tandem_userstatus"

    def __str__(self) -> str:
        return f"user {self.user_id} {'online' if self.online else 'offline'}"


class PresenceVisibility(models.IntegerChoices):
    # Values are the C++ core's visibility.
    EVERYONE = 0, "Everyone"
    CONTACTS = 1, "My contacts"
    NOBODY = 2, "Nobody"


class UserSettings(models.Model):
    """A user's privacy choices, read by the sidecar: who sees my online status and last seen
    (reciprocal: choosing nobody hides everyone's from me), and whether I send and see read
    receipts in 1:1 chats (groups always have them). No row means the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="tandem_settings"
    )
    presence_visibility = models.SmallIntegerField(
        choices=PresenceVisibility.choices, default=PresenceVisibility.EVERYONE
    )
    read_receipts = models.BooleanField(default=True)

    class Meta:
        db_table = "tandem_usersettings"

    def __str__(self) -> str:
        return f"settings of user {self.user_id}"
