"""Changing a user's privacy settings, live: the row changes first, and once it has committed
every person whose view of someone's presence the change turns on or off is told through their
user group (`presence.update`, with `"hidden": true` when it turned off), so the header and the
chat list change at once, on every sidecar process, not at the next reconnect
(docs/protocol.md, "Privacy"). Who may see whom is decided by the core's rule
(tandem_core.may_see_presence), the one the sidecar applies to its own announcements."""

from __future__ import annotations

from typing import Any

import tandem_core
from django.db import transaction

from tandem.groups import user_group
from tandem.messaging import database_for_tandem
from tandem.models import Chat, ChatMember, UserSettings, UserStatus
from tandem.publishing import publish


def change_privacy(
    user_id: int,
    *,
    presence_visibility: int | None = None,
    read_receipts: bool | None = None,
    using: str | None = None,
) -> UserSettings:
    """Applies the given choices (None leaves one as it is) and returns the saved row. Several
    tabs saving a user's first choice at once each succeed (locked, created race-free).
    `using`: as in tandem.messaging (default: the alias the routers pick for Tandem's models)."""
    using = database_for_tandem(using)
    with transaction.atomic(using=using):
        current, _ = UserSettings.objects.using(using).select_for_update().get_or_create(user_id=user_id)
        if presence_visibility is not None:
            current.presence_visibility = int(tandem_core.Visibility(presence_visibility))
        if read_receipts is not None:
            current.read_receipts = read_receipts
        # The save tells everyone the change concerns once it commits (tandem.signals), as any
        # save of the row does.
        current.save()
    return current


def _may_see(owner: int, viewer: int, direct: bool) -> bool:
    return bool(
        tandem_core.may_see_presence(
            tandem_core.visibility_from_number(owner),
            tandem_core.visibility_from_number(viewer),
            direct,
            False,
        )
    )


def _presence_event(user_id: int, row: UserStatus | None, visible: bool) -> dict[str, Any]:
    if not visible:
        return {
            "type": "presence.update",
            "user": user_id,
            "online": False,
            "last_seen": None,
            "hidden": True,
        }
    last_seen = row.last_seen if row else None
    return {
        "type": "presence.update",
        "user": user_id,
        "online": bool(row and row.online),
        "last_seen": int(last_seen.timestamp() * 1000) if last_seen else None,
    }


def tell_visibility_changed(user_id: int, before: int, after: int, *, using: str | None = None) -> None:
    """Tells the user's own sockets their new setting (`tandem.privacy`); sends each person who
    shares a chat with `user_id` the presence they may now see, or hide, of that user; and the
    user the presence of each person they may now see or not (the setting is reciprocal:
    choosing nobody also hides everyone else's)."""
    using = database_for_tandem(using)
    # The user's own sockets first: a change sent to a whole group chat (presence.members) is
    # shown by each socket according to its own user's setting.
    publish(
        user_group(user_id),
        {
            "type": "tandem.privacy",
            # (A stored value this build does not know is "nobody", as the sidecar reads it.)
            "presence_visibility": tandem_core.visibility_name(tandem_core.visibility_from_number(after)),
        },
    )
    others = set(
        ChatMember.objects.using(using)
        .filter(chat__members__user_id=user_id)
        .exclude(user_id=user_id)
        .values_list("user_id", flat=True)
    )
    if not others:
        return
    direct = set(
        ChatMember.objects.using(using)
        .filter(
            chat__in=Chat.objects.using(using).filter(is_group=False, members__user_id=user_id),
            user_id__in=others,
        )
        .values_list("user_id", flat=True)
    )
    chosen = dict(
        UserSettings.objects.using(using)
        .filter(user_id__in=others)
        .values_list("user_id", "presence_visibility")
    )
    rows = {r.user_id: r for r in UserStatus.objects.using(using).filter(user_id__in=others | {user_id})}
    default = int(tandem_core.Visibility.EVERYONE)
    for other in sorted(others):
        theirs = chosen.get(other, default)
        contact = other in direct
        # What `other` sees of the user: the user's own setting changed.
        now_visible = _may_see(after, theirs, contact)
        if _may_see(before, theirs, contact) != now_visible:
            publish(user_group(other), _presence_event(user_id, rows.get(user_id), now_visible))
        # What the user sees of `other`: the user's setting is also their viewing setting.
        they_visible = _may_see(theirs, after, contact)
        if _may_see(theirs, before, contact) != they_visible:
            publish(user_group(user_id), _presence_event(other, rows.get(other), they_visible))
