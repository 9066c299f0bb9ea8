"""Presence and privacy for Django views: what a viewer may see of another user's online
status and last seen, and a user's privacy settings, under the same core rules the sidecar
applies (tandem_core.may_see_presence, last_seen_text).

Every read goes to the database Tandem writes (tandem.messaging.database_for_tandem), never to
the routers' db_for_read: a lagging replica would show presence to someone the owner has just
hidden it from, or hide a chat that was just created."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import tandem_core

from tandem import status
from tandem.messaging import database_for_tandem
from tandem.models import Chat, ChatMember, UserSettings, UserStatus


def settings_of(user_id: int, *, using: str | None = None) -> UserSettings:
    """The user's settings, or the defaults (not saved) when they never chose. `using`: as in
    tandem.messaging (default: the alias the routers pick for writing Tandem's models)."""
    using = database_for_tandem(using)
    return UserSettings.objects.using(using).filter(user_id=user_id).first() or UserSettings(user_id=user_id)


def are_contacts(a: int, b: int, *, using: str | None = None) -> bool:
    """Tandem's contacts: two people who share a 1:1 chat."""
    using = database_for_tandem(using)
    direct = Chat.objects.using(using).filter(is_group=False, members__user_id=a).filter(members__user_id=b)
    return direct.exists()


def shares_a_chat(a: int, b: int, *, using: str | None = None) -> bool:
    using = database_for_tandem(using)
    return ChatMember.objects.using(using).filter(user_id=b, chat__members__user_id=a).exists()


def presence_for(
    viewer_id: int, owner_id: int, now: datetime, *, using: str | None = None
) -> dict[str, Any] | None:
    """{"online", "last_seen", "text"} as the viewer may see it, or None when the owner's (or
    the viewer's own, reciprocally) settings hide it. `now` carries the viewer's time zone."""
    using = database_for_tandem(using)
    same = viewer_id == owner_id
    if not same and not shares_a_chat(viewer_id, owner_id, using=using):
        return None
    allowed = tandem_core.may_see_presence(
        # A stored value this build does not know hides the user (as the sidecar reads it).
        tandem_core.visibility_from_number(settings_of(owner_id, using=using).presence_visibility),
        tandem_core.visibility_from_number(settings_of(viewer_id, using=using).presence_visibility),
        are_contacts(viewer_id, owner_id, using=using),
        same,
    )
    if not allowed:
        return None
    row = UserStatus.objects.using(using).filter(user_id=owner_id).first()
    online = bool(row and row.online)
    last_seen = row.last_seen if row else None
    return {
        "online": online,
        "last_seen": int(last_seen.timestamp() * 1000) if last_seen else None,
        "text": status.last_seen_text(online, last_seen, now),
    }
