"""A real Django session for a user, made without a request, as django.contrib.auth.login
stores one: what the sidecar must accept from a browser's cookie."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.base import SessionBase


class LoginError(Exception):
    """The user cannot be logged in (unknown, inactive)."""


def open_session(username: str) -> tuple[SessionBase, Any]:
    """A saved session logged in as `username`, and the user; its session_key is the cookie."""
    user_model = get_user_model()
    try:
        user = user_model._default_manager.get_by_natural_key(username)
    except user_model.DoesNotExist:
        raise LoginError(f"no user {username!r}") from None
    if not getattr(user, "is_active", True):
        raise LoginError(f"user {username!r} is inactive")
    store: SessionBase = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    # get_user() accepts any backend listed in AUTHENTICATION_BACKENDS; login() uses the first.
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return store, user


def close_session(store: SessionBase) -> None:
    """Removes the session again (a no-op for signed cookies, which live only in the cookie)."""
    store.delete()
