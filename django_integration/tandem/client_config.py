"""What the browser client (static/tandem/chat.js) is told by the page: where the sidecar is,
who the user and the chat are, and the rules it applies, computed by the C++ core (tick icons
and labels, retry schedules, typing timings, limits) so the browser cannot disagree with the
sidecar or Django."""

from __future__ import annotations

from typing import Any

import tandem_core
from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.urls import reverse

from tandem.models import Chat


def sidecar_url(request: HttpRequest) -> str:
    """settings.TANDEM["public_url"] (e.g. ws://127.0.0.1:8765), else this site's own origin,
    for a reverse proxy that routes /ws/ to the sidecar (examples/nginx.conf)."""
    configured = getattr(settings, "TANDEM", {}).get("public_url")
    if configured:
        return str(configured).rstrip("/")
    scheme = "wss" if request.is_secure() else "ws"
    return f"{scheme}://{request.get_host()}"


def policy(p: tandem_core.BackoffPolicy) -> dict[str, Any]:
    return {
        "initial_ms": p.initial_ms,
        "factor": p.factor,
        "max_ms": p.max_ms,
        "jitter": p.jitter,
        "max_attempts": p.max_attempts,
    }


def display_name(user: Any) -> str:
    return user.get_short_name() or user.get_username()


def client_config(request: HttpRequest, chat: Chat) -> dict[str, Any]:
    user = request.user
    members = {m.user_id: display_name(m.user) for m in chat.members.select_related("user")}
    others = [name for uid, name in members.items() if uid != user.pk]
    title = chat.title or (others[0] if len(others) == 1 else ", ".join(others)) or "Notes to self"
    typing = tandem_core.TypingPolicy()
    api = reverse("tandem:messages", args=[chat.pk]).rsplit("chats/", 1)[0]
    return {
        "ws_url": sidecar_url(request),
        "api": api,
        "login_url": settings.LOGIN_URL,
        "csrf_token": get_token(request),
        "me": {"id": user.pk, "name": display_name(user)},
        "chat": {
            "id": chat.pk,
            "title": title,
            "is_group": chat.is_group,
            "members": {str(uid): name for uid, name in members.items()},
        },
        "ticks": {
            tandem_core.tick_name(tick): {
                "icon": tandem_core.icon_for(tick).icon,
                "label": tandem_core.icon_for(tick).label,
            }
            for tick in tandem_core.Tick
        },
        "reconnect_backoff": policy(tandem_core.RECONNECT_BACKOFF),
        "message_retry_backoff": policy(tandem_core.MESSAGE_RETRY_BACKOFF),
        "typing": {
            "start_interval_ms": typing.start_interval_ms,
            "client_idle_stop_ms": typing.client_idle_stop_ms,
        },
        "limits": {"max_body_chars": tandem_core.FrameLimits().max_body_chars},
    }
