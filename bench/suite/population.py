"""The benchmark's users, chats and Django sessions, made in bulk in the real PostgreSQL: a
session row per user exactly as `django.contrib.auth.login` writes it, so every socket logs in
with a real session cookie (the sidecar and the Channels baselines verify it the same way)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

HISTORY_IN_GROUP = 50  # earlier messages in the group chat (and two in each pair chat)


@dataclass
class Population:
    user_ids: list[int]
    cookies: list[str]  # "sessionid=<key>", one per user
    pair_chats: list[int]  # chat of users 2i and 2i+1
    group_chat: int  # a group chat of the first `group_size` users
    group_size: int


def make_population(users: int, group_size: int, prefix: str = "bench") -> Population:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.utils import timezone
    from tandem.models import Chat

    users += users % 2
    model = get_user_model()
    password = make_password("pw")
    created = model.objects.bulk_create(
        [model(username=f"{prefix}{i}", password=password) for i in range(users)], batch_size=2000
    )
    people: list[Any] = list(model.objects.filter(username__startswith=prefix).order_by("id"))
    assert len(people) == len(created)
    store = SessionStore()
    expires = timezone.now() + timedelta(days=1)
    sessions, cookies = [], []
    for person in people:
        key = store._get_new_session_key()
        data = {
            SESSION_KEY: str(person.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: person.get_session_auth_hash(),
        }
        sessions.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={key}")
    Session.objects.bulk_create(sessions, batch_size=2000)
    pair_chats = [
        Chat.create_with_members([people[i], people[i + 1]]).pk for i in range(0, len(people), 2)
    ]
    group_size = min(group_size, len(people))
    group = Chat.create_with_members(people[:group_size], title="bench group", is_group=True).pk
    with connection.cursor() as cursor:
        # A site's chats have history. Analyzed empty, the message table gets plans made for an
        # empty table (a sequential scan for the send's duplicate check), which each database
        # connection keeps until autovacuum analyzes it again, up to a minute later: by then a
        # run at 1,000 sends/s has scanned tens of thousands of rows per send (p99 0.5-1.3 s at
        # 1,500/s in W2-only runs). Stored with the sidecar's own function, as a site's are.
        senders = [(chat, people[2 * i].pk) for i, chat in enumerate(pair_chats)]
        senders += [(chat, people[2 * i + 1].pk) for i, chat in enumerate(pair_chats)]
        senders += [(group, people[i].pk) for i in range(min(group_size, HISTORY_IN_GROUP))]
        cursor.execute(
            "SELECT count(*) FILTER (WHERE s.outcome = 'ok') FROM unnest(%s::bigint[], %s::bigint[])"
            " WITH ORDINALITY AS h(chat, sender, n)"
            " CROSS JOIN LATERAL tandem_send_message_v2(h.chat, h.sender, 'history-' || h.n, 'earlier') AS s",
            [[chat for chat, _ in senders], [sender for _, sender in senders]],
        )
        stored = cursor.fetchone()[0]
        assert stored == len(senders), f"history: {stored} of {len(senders)} messages stored"
        # A site's tables have statistics (autovacuum analyzes them); tables filled in bulk a moment
        # ago have none, and the planner then reads whole tables where an index would do.
        cursor.execute("ANALYZE")
    return Population([p.pk for p in people], cookies, pair_chats, group, group_size)
