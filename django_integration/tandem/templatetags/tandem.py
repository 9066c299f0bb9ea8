"""Template helpers backed by the shared C++ rules: {% last_seen %}, {% tick_icon "read" %}, and
{% tandem_client_config [chat] %} (the browser client's configuration as a JSON script element)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html, json_script
from django.utils.safestring import SafeString

from tandem import status
from tandem.client_config import client_config
from tandem.models import Chat

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


@register.simple_tag(takes_context=True)
def tandem_client_config(context: dict[str, Any], chat: Chat | int | str | None = None) -> SafeString:
    """<script id="tandem-config" type="application/json">…</script> for static/tandem/bootstrap.js;
    without a chat, for pages that only list chats (the client still connects, so messages are
    delivered and the list is live). The signed-in user must be a member of `chat`: otherwise
    (and for anonymous users) rendering raises PermissionDenied, which Django answers with 403,
    so no page can leak a chat's title and members' names to an outsider."""
    return json_script(client_config(context["request"], chat), "tandem-config")
