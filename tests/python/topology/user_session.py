"""A real Django session for a test user, committed so the sidecars can read it."""

from __future__ import annotations

from typing import Any


def login(user: Any) -> str:
    """A session cookie of its own (one test client per user: a second login on the same client
    would end the first user's session)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value
