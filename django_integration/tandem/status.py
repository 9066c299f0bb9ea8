"""Thin Python face of the shared C++ rules for views, templates and admin.

Everything here delegates to tandem_core so that Django and the sidecar word and compute
statuses identically; only the conversion from Django's datetimes to milliseconds lives here.
"""

from __future__ import annotations

from datetime import datetime

import tandem_core


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of an aware datetime (naive ones are refused)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an aware datetime is required (USE_TZ=True)")
    return int(moment.timestamp() * 1000)


def last_seen_text(online: bool, last_seen: datetime | None, now: datetime) -> str:
    """'Online', 'last seen 5 minutes ago', ..., in the time zone of `now` (the viewer's)."""
    offset = now.utcoffset()
    offset_minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    seen_ms = to_ms(last_seen) if last_seen is not None else None
    return tandem_core.last_seen_text(online, seen_ms, to_ms(now), offset_minutes)


def tick_icon(state: str) -> tandem_core.TickIcon:
    """The icon and accessible label for a tick given by name ('sent', 'read', ...)."""
    tick = tandem_core.tick_from_name(state)
    if tick is None:
        raise ValueError(f"unknown tick state {state!r}")
    return tandem_core.icon_for(tick)
