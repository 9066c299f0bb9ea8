"""Template helpers backed by the shared C++ rules: {{ user_status|last_seen }} and
{% tick_icon "read" %}."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from tandem import status

register = template.Library()


@register.simple_tag
def last_seen(online: bool, last_seen_at: datetime | None) -> str:
    """Presence wording for a contact, in the current time zone."""
    return status.last_seen_text(online, last_seen_at, timezone.localtime())


@register.simple_tag
def tick_icon(state: str) -> SafeString:
    """An accessible tick icon element for a message status name."""
    icon = status.tick_icon(state)
    return format_html(
        '<span class="tandem-tick {}" role="img" aria-label="{}"></span>', icon.icon, icon.label
    )
