"""Hostile input: sessions Django itself would not accept are refused at the handshake, each
verdict checked against Django's own get_user() on the same session."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest
from django.utils import timezone
from hostile import honest_exchange
from wsclient import greeting, open_socket, refused_status

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def session_of(user: Any, backend: str | None = MODEL_BACKEND, **extra: Any) -> str:
    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store["_auth_user_hash"] = user.get_session_auth_hash()
    if backend is not None:
        store["_auth_user_backend"] = backend
    store.update(extra)
    store.create()
    return store.session_key


def django_says_anonymous(key: str) -> bool:
    request = HttpRequest()
    request.session = SessionStore(key)
    return get_user(request).is_anonymous


def test_a_session_of_a_backend_django_no_longer_lists_is_refused(world, sidecar) -> None:
    url = sidecar.ws_url("/ws/notifications/")
    for backend in ("myapp.backends.RetiredBackend", None):
        key = session_of(world.ann, backend)
        assert django_says_anonymous(key)
        assert refused_status(url, key) == 401
    assert "the session's backend is not in authentication_backends" in sidecar.log()
    key = session_of(world.ann)
    assert not django_says_anonymous(key)
    with open_socket(url, key) as ws:
        greeting(ws)
    honest_exchange(sidecar, world)


def test_a_backend_listed_in_authentication_backends_is_accepted(world, make_sidecar) -> None:
    backends = [MODEL_BACKEND, "myapp.backends.TokenBackend"]
    sidecar = make_sidecar(authentication_backends=backends)
    with open_socket(sidecar.ws_url("/ws/notifications/"), session_of(world.ann, backends[1])) as ws:
        assert greeting(ws)["user_id"] == world.ann.pk


def test_forged_and_expired_sessions_are_refused(world, sidecar) -> None:
    from django.contrib.sessions.models import Session

    url = sidecar.ws_url("/ws/notifications/")
    assert refused_status(url, "x" * 32) == 401  # no such row
    expired = session_of(world.ann)
    Session.objects.filter(session_key=expired).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert refused_status(url, expired) == 401
    tampered = session_of(world.ann)
    row = Session.objects.get(session_key=tampered)
    row.session_data = row.session_data[:-4] + ("AAAA" if not row.session_data.endswith("AAAA") else "BBBB")
    row.save()
    assert django_says_anonymous(tampered)
    assert refused_status(url, tampered) == 401
    honest_exchange(sidecar, world)
