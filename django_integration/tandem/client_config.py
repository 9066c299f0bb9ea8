"""What the browser client (static/tandem/bootstrap.js) is told by the page: where the sidecar is,
who the user and the chat are, and the rules it applies, computed by the C++ core (tick icons
and labels, retry schedules, typing timings, limits) so the browser cannot disagree with the
sidecar or Django."""

from __future__ import annotations

from typing import Any

import tandem_core
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.urls import NoReverseMatch, reverse

from tandem.conf import tandem_settings
from tandem.messaging import database_for_tandem
from tandem.models import Chat, ChatMember


def sidecar_url(request: HttpRequest) -> str:
    """settings.TANDEM["public_url"] (e.g. ws://127.0.0.1:8765), else this site's own origin,
    for a reverse proxy that routes /ws/ to the sidecar (examples/nginx.conf)."""
    configured = tandem_settings.public_url
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
    """The one name a person has on screen (header, list, typing, group authors)."""
    return user.get_short_name() or user.get_username()


# The client's own timings (settings.TANDEM_CLIENT overrides them; docs/configuration.md).
CLIENT_DEFAULTS: dict[str, int] = {
    "graceMs": 10_000,  # silence beyond the server's heartbeat before a link counts as dead
    "holdMs": 250,  # how long an out-of-order message waits for the missing one before a sync
    "ackTimeoutMs": 4_000,  # how long a socket answer may take before a resend
    "httpTimeoutMs": 30_000,  # how long an HTTP fallback request may take before it counts as unanswered
}


def client_options() -> dict[str, int]:
    configured = getattr(settings, "TANDEM_CLIENT", {}) or {}
    unknown = set(configured) - set(CLIENT_DEFAULTS)
    if unknown:
        raise ImproperlyConfigured(f"settings.TANDEM_CLIENT: unknown keys {sorted(unknown)}")
    return {**CLIENT_DEFAULTS, **{k: int(v) for k, v in configured.items()}}


def chat_configs(
    user: Any, *, only: int | None = None, using: str | None = None
) -> dict[str, dict[str, Any]]:
    """Every chat of user (or only chat `only`, if user is a member) as the conversation view
    needs it (two queries), so a two-pane page switches chats without a page load. Read where Tandem writes (`using`: as in
    tandem.messaging), not from the routers' db_for_read: on a lagging replica a just-added
    member would be refused the chat and a just-removed one still shown its members' names."""
    using = database_for_tandem(using)
    members_of = ChatMember.objects.using(using)
    own = (
        members_of.filter(user_id=user.pk)
        if only is None
        else members_of.filter(user_id=user.pk, chat_id=only)
    )
    mine = {m.chat_id: m for m in own.select_related("chat")}
    members: dict[int, dict[int, str]] = {}
    for m in members_of.filter(chat_id__in=mine).select_related("user").order_by("chat_id", "user_id"):
        members.setdefault(m.chat_id, {})[m.user_id] = display_name(m.user)
    out = {}
    for chat_id, membership in mine.items():
        chat = membership.chat
        names = members.get(chat_id, {})
        others = [name for uid, name in names.items() if uid != user.pk]
        out[str(chat_id)] = {
            "id": chat_id,
            "title": chat.title or (others[0] if len(others) == 1 else ", ".join(others)) or "Notes to self",
            "is_group": chat.is_group,
            "members": {str(uid): name for uid, name in names.items()},
            "read_upto": membership.read_upto,
        }
    return out


def shown_chat(chats: dict[str, dict[str, Any]], chat: Chat | int | str | None) -> dict[str, Any] | None:
    """The configuration of the chat the page shows, which must be one of the viewer's own:
    a page handed another chat (a view that forgot its membership check, a guessed id) is
    refused rather than given that chat's title and every member's name."""
    if chat is None or chat == "":
        # "" is what a template passes for a variable it does not have (a page that lists chats
        # and includes tandem/client.html, whose tag names `chat`).
        return None
    if isinstance(chat, Chat):
        chat_id = chat.pk
    elif isinstance(chat, int) and not isinstance(chat, bool):
        chat_id = chat
    else:
        raise TypeError(f"tandem_client_config takes a Chat, a chat id or None, not {type(chat).__name__}")
    shown = chats.get(str(chat_id))
    if shown is None:
        raise PermissionDenied(f"the signed-in user is not a member of chat {chat_id}")
    return shown


def client_config(request: HttpRequest, chat: Chat | int | str | None = None) -> dict[str, Any]:
    """Everything the client needs; `chat` is the conversation the page shows, if any (the
    viewer must be a member of it: PermissionDenied otherwise, and for anonymous viewers)."""
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied("the Tandem client needs a signed-in user")
    chats = chat_configs(user)
    shown = shown_chat(chats, chat)
    typing = tandem_core.TypingPolicy()
    api = reverse("tandem:messages", args=[0]).rsplit("chats/", 1)[0]
    config: dict[str, Any] = {
        "ws_url": sidecar_url(request),
        "api": api,
        "login_url": settings.LOGIN_URL,
        "logout_url": _path_or_none("logout"),
        "list_url": _path_or_none(getattr(settings, "TANDEM_CHAT_LIST_URL", "chat-list")),
        "row_url": _id_path_or_none(getattr(settings, "TANDEM_CHAT_ROW_URL", "chat-row")),
        "csrf_token": get_token(request),
        "me": {"id": user.pk, "name": display_name(user)},
        "users": {uid: name for c in chats.values() for uid, name in c["members"].items()},
        "chat": shown,
        "chats": chats,
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
        # The limit the sidecar and the Django views enforce (settings.TANDEM may change it).
        "limits": {"max_body_chars": int(tandem_settings.max_body_chars)},
        "client": client_options(),
    }
    return config


# An id no site has, so the path reversed with it splits into what comes before and after the id.
_ANY_CHAT = 918_273_645_546_372


def _id_path_or_none(name: str) -> list[str] | None:
    """A URL name of the site taking a chat id (the live list's row of one chat), as the path
    before and after the id, if the site has one."""
    try:
        before, after = reverse(name, args=[_ANY_CHAT]).split(str(_ANY_CHAT), 1)
    except (NoReverseMatch, ValueError):
        return None
    return [before, after]


def _path_or_none(name: str) -> str | None:
    """A URL name of the site (logout, the chat list) if it has one: the client works without."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None
