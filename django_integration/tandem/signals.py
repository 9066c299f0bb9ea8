"""Membership and privacy rows changed through the ORM anywhere (Django's admin and its inlines,
site code calling save() or delete(), a cascade when a chat or a user is deleted) reach the
sockets concerned once the transaction commits, as tandem.membership's and tandem.privacy's own
calls do: a member removed in the admin stops hearing the chat at once, not at the sidecar's
next re-check. QuerySet.update(), bulk_create() and raw SQL send no signals: the re-check
(`auth_recheck_interval`) catches those (docs/django.md, "Membership and privacy, live")."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from tandem.membership import tell_member_after_commit
from tandem.models import ChatMember, PresenceVisibility, UserSettings
from tandem.privacy import tell_visibility_changed

_WAS = "_tandem_stored"  # what pre_save read of the row, for post_save to compare with


@receiver(pre_save, sender=ChatMember, dispatch_uid="tandem.membership.pre_save")
def _remember_membership(sender: Any, instance: ChatMember, raw: bool, using: str, **kwargs: Any) -> None:
    if raw or instance.pk is None:
        return
    stored = ChatMember.objects.using(using).filter(pk=instance.pk).values_list("chat_id", "user_id").first()
    setattr(instance, _WAS, stored)


@receiver(post_save, sender=ChatMember, dispatch_uid="tandem.membership.post_save")
def _membership_saved(
    sender: Any, instance: ChatMember, created: bool, raw: bool, using: str, **kwargs: Any
) -> None:
    if raw:
        return
    now = (instance.chat_id, instance.user_id)
    was = None if created else getattr(instance, _WAS, None)
    if was == now:
        return  # a marker or another field changed: nobody joined or left
    if was is not None:  # the row was moved to another chat or user: the old one left
        tell_member_after_commit(was[0], was[1], False, using)
    tell_member_after_commit(now[0], now[1], True, using)


@receiver(post_delete, sender=ChatMember, dispatch_uid="tandem.membership.post_delete")
def _membership_deleted(sender: Any, instance: ChatMember, using: str, **kwargs: Any) -> None:
    tell_member_after_commit(instance.chat_id, instance.user_id, False, using)


@receiver(pre_save, sender=UserSettings, dispatch_uid="tandem.privacy.pre_save")
def _remember_visibility(sender: Any, instance: UserSettings, raw: bool, using: str, **kwargs: Any) -> None:
    if raw:
        return
    stored = (
        UserSettings.objects.using(using)
        .filter(pk=instance.pk)
        .values_list("presence_visibility", flat=True)
        .first()
    )
    # No row yet: the user had the defaults.
    setattr(instance, _WAS, int(PresenceVisibility.EVERYONE) if stored is None else stored)


@receiver(post_save, sender=UserSettings, dispatch_uid="tandem.privacy.post_save")
def _visibility_saved(sender: Any, instance: UserSettings, raw: bool, using: str, **kwargs: Any) -> None:
    if raw:
        return
    _tell_after_commit(instance.user_id, getattr(instance, _WAS, None), instance.presence_visibility, using)


@receiver(post_delete, sender=UserSettings, dispatch_uid="tandem.privacy.post_delete")
def _visibility_deleted(sender: Any, instance: UserSettings, using: str, **kwargs: Any) -> None:
    # No row is the defaults again.
    _tell_after_commit(
        instance.user_id, instance.presence_visibility, int(PresenceVisibility.EVERYONE), using
    )


def _tell_after_commit(user_id: int, before: int | None, after: int, using: str) -> None:
    if before is None or before == after:
        return
    # After commit: nobody may be shown (or hidden) a change a rollback could still undo.
    transaction.on_commit(
        lambda: tell_visibility_changed(user_id, before, after, using=using), using=using, robust=True
    )
