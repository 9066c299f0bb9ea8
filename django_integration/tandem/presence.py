"""Presence and privacy for Django views: what a viewer may see of another user's online
status and last seen, and a user's privacy settings, under the same core rules the sidecar
applies (tandem_core.may_see_presence, last_seen_text)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import tandem_core

from tandem import status
from tandem.models import Chat, ChatMember, UserSettings, UserStatus


def settings_of(user_id: int) -> UserSettings:
    """The user's settings, or the defaults (not saved) when they never chose."""
    return UserSettings.objects.filter(user_id=user_id).first() or UserSettings(user_id=user_id)


def are_contacts(a: int, b: int) -> bool:
    """Tandem's contacts: two people who share a 1:1 chat."""
    direct = Chat.objects.filter(is_group=False, members__user_id=a).filter(members__user_id=b)
    return direct.exists()


def shares_a_chat(a: int, b: int) -> bool:
    return ChatMember.objects.filter(user_id=b, chat__members__user_id=a).exists()


def presence_for(viewer_id: int, owner_id: int, now: datetime) -> dict[str, Any] | None:
    """{"online", "last_seen", "text"} as the viewer may see it, or None when the owner's (or
    the viewer's own, reciprocally) settings hide it. `now` carries the viewer's time zone."""
    same = viewer_id == owner_id
    if not same and not shares_a_chat(viewer_id, owner_id):
        return None
    allowed = tandem_core.may_see_presence(
        tandem_core.Visibility(settings_of(owner_id).presence_visibility),
        tandem_core.Visibility(settings_of(viewer_id).presence_visibility),
        are_contacts(viewer_id, owner_id),
        same,
    )
    if not allowed:
        return None
    row = UserStatus.objects.filter(user_id=owner_id).first()
    online = bool(row and row.online)
    last_seen = row.last_seen if row else None
    return {
        "online": online,
        "last_seen": int(last_seen.timestamp() * 1000) if last_seen else None,
        "text": status.last_seen_text(online, last_seen, now),
    }
