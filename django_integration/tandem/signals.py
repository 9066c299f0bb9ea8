"""What Django's own signals tell the sockets. A logout closes the sockets of that session at once.
Membership and privacy rows changed through the ORM anywhere (Django's admin and its inlines,
site code calling save() or delete(), a chat deleted with its member rows) reach the sockets
concerned once the transaction commits, the same way tandem.membership and tandem.privacy's
calls do (they rely on these receivers too): a member removed in the admin stops hearing the
chat at once, not at the sidecar's next re-check. QuerySet.update(), bulk_create(), raw SQL,
fixtures (loaddata) and data migrations send no signals: the re-check (`auth_recheck_interval`)
catches those (docs/django.md, "Membership and privacy, live")."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_out
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from tandem.groups import user_group
from tandem.membership import tell_member_after_commit, tell_members_after_commit
from tandem.messaging import _after_commit
from tandem.models import Chat, ChatMember, PresenceVisibility, UserSettings
from tandem.privacy import tell_visibility_changed
from tandem.publishing import publish
from tandem.session_fingerprint import fingerprint

_WAS = "_tandem_stored"  # what pre_save read of the row, for post_save to compare with
_MEMBERSHIP_FIELDS = {"chat", "chat_id", "user", "user_id"}


def _writes(update_fields: Any, fields: set[str]) -> bool:
    """Does a save with `update_fields` write any of `fields`? (None: every field.)"""
    return update_fields is None or bool(fields & set(update_fields))


def _stored_values(model: type[Model], instance: Model, using: str, *columns: str) -> tuple[Any, ...] | None:
    """The row's `columns` as stored now, for post_save to compare with (None: no row yet).
    Locked inside a transaction (the admin's, or a caller's): two saves of one row at once must
    each compare with what the other stored, or an announcement compares with a stale "before"
    (change_privacy has locked the row already; the lock is then its own)."""
    rows = model._default_manager.using(using).filter(pk=instance.pk)
    if connections[using].in_atomic_block:
        rows = rows.select_for_update()
    return rows.values_list(*columns).first()


def _from_a_deleted_owner(origin: Any) -> bool:
    """Is this row deleted along with its chat or its user, rather than by itself?"""
    model = origin.model if isinstance(origin, QuerySet) else type(origin)
    return isinstance(model, type) and issubclass(model, Model) and model not in (ChatMember, UserSettings)


@receiver(pre_save, sender=ChatMember, dispatch_uid="tandem.membership.pre_save")
def _remember_membership(
    sender: Any, instance: ChatMember, raw: bool, using: str, update_fields: Any = None, **kwargs: Any
) -> None:
    if raw or instance.pk is None or not _writes(update_fields, _MEMBERSHIP_FIELDS):
        return
    setattr(instance, _WAS, _stored_values(ChatMember, instance, using, "chat_id", "user_id"))


@receiver(post_save, sender=ChatMember, dispatch_uid="tandem.membership.post_save")
def _membership_saved(
    sender: Any,
    instance: ChatMember,
    created: bool,
    raw: bool,
    using: str,
    update_fields: Any = None,
    **kwargs: Any,
) -> None:
    if raw or not _writes(update_fields, _MEMBERSHIP_FIELDS):
        return
    now = (instance.chat_id, instance.user_id)
    was = None if created else getattr(instance, _WAS, None)
    if was == now:
        return  # a marker or another field changed: nobody joined or left
    if was is not None:  # the row was moved to another chat or user: the old one left
        tell_member_after_commit(was[0], was[1], False, using)
    tell_member_after_commit(now[0], now[1], True, using)


@receiver(post_delete, sender=ChatMember, dispatch_uid="tandem.membership.post_delete")
def _membership_deleted(
    sender: Any, instance: ChatMember, using: str, origin: Any = None, **kwargs: Any
) -> None:
    # Deleted with its chat: told together by _chat_deleted. Deleted with its user: nobody is
    # left to tell (that user's sockets close at their re-check, the session's user being gone).
    if _from_a_deleted_owner(origin):
        return
    tell_member_after_commit(instance.chat_id, instance.user_id, False, using)


@receiver(pre_delete, sender=Chat, dispatch_uid="tandem.membership.chat_pre_delete")
def _chat_deleted(sender: Any, instance: Chat, using: str, **kwargs: Any) -> None:
    members = list(
        ChatMember.objects.using(using).filter(chat_id=instance.pk).values_list("user_id", flat=True)
    )
    tell_members_after_commit(instance.pk, members, using, member=False)


@receiver(pre_save, sender=UserSettings, dispatch_uid="tandem.privacy.pre_save")
def _remember_visibility(
    sender: Any, instance: UserSettings, raw: bool, using: str, update_fields: Any = None, **kwargs: Any
) -> None:
    if raw or not _writes(update_fields, {"presence_visibility"}):
        return
    stored = _stored_values(UserSettings, instance, using, "presence_visibility")
    # No row yet: the user had the defaults.
    setattr(instance, _WAS, int(PresenceVisibility.EVERYONE) if stored is None else stored[0])


@receiver(post_save, sender=UserSettings, dispatch_uid="tandem.privacy.post_save")
def _visibility_saved(
    sender: Any, instance: UserSettings, raw: bool, using: str, update_fields: Any = None, **kwargs: Any
) -> None:
    if raw or not _writes(update_fields, {"presence_visibility"}):
        return
    _tell_after_commit(instance.user_id, getattr(instance, _WAS, None), instance.presence_visibility, using)


@receiver(post_delete, sender=UserSettings, dispatch_uid="tandem.privacy.post_delete")
def _visibility_deleted(
    sender: Any, instance: UserSettings, using: str, origin: Any = None, **kwargs: Any
) -> None:
    if _from_a_deleted_owner(origin):
        return  # the user is gone: nobody is to see or be shown anything of theirs
    # No row is the defaults again.
    _tell_after_commit(
        instance.user_id, instance.presence_visibility, int(PresenceVisibility.EVERYONE), using
    )


def _tell_after_commit(user_id: int, before: int | None, after: int, using: str) -> None:
    if before is None or before == after:
        return
    # After commit: nobody may be shown (or hidden) a change a rollback could still undo.
    _after_commit(lambda: tell_visibility_changed(user_id, before, after, using=using), using)


@receiver(user_logged_out, dispatch_uid="tandem.session.logged_out")
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # The sockets opened with this session close with 4401 on every sidecar process, now, not
    # at their re-check (until which they went on hearing the user's chats); the user's other
    # sessions keep theirs. Named by fingerprint: the session key never travels through Redis.
    if request is None:
        return
    cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    # No user on the request (a site's own middleware): the session still names them here, as
    # logout() flushes it only after this signal.
    user_id = user.pk if user is not None else getattr(request, "session", {}).get(SESSION_KEY)
    if not cookie or user_id is None:
        return
    event = {"type": "tandem.disconnect", "code": 4401, "session": fingerprint(cookie)}
    # Once the session's end is committed (ATOMIC_REQUESTS): a client reconnecting at once
    # must not find the session still there.
    _after_commit(lambda: publish(user_group(int(user_id)), event), DEFAULT_DB_ALIAS)
