"""The channel-layer group names the sidecar's sockets join. `settings.TANDEM["group_prefix"]`
goes in front of both, so a site whose own consumers already use `user_<id>` or `chat_<id>`
can keep Tandem's events (presence.update, chat.typing, ...) out of its groups."""

from __future__ import annotations

from tandem.conf import tandem_settings


def chat_group(chat_id: int) -> str:
    """Every socket open on one chat (and notifications sockets of its members)."""
    return f"{tandem_settings.group_prefix}chat_{chat_id}"


def user_group(user_id: int) -> str:
    """Every socket of one user."""
    return f"{tandem_settings.group_prefix}user_{user_id}"
