"""Django's logout() tells the sidecar to close that session's sockets (tandem.signals): the
event names the session by fingerprint, goes out once the session's end has committed, and
finds its user even when the request carries none (the session still names them)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import logout
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction
from django.test import Client, RequestFactory
from tandem.session_fingerprint import fingerprint

pytestmark = pytest.mark.django_db(transaction=True)


def logged_in_request(user: Any) -> Any:
    client = Client()
    client.force_login(user)
    key = client.cookies["sessionid"].value
    request = RequestFactory().post("/logout/", HTTP_COOKIE=f"sessionid={key}")
    request.session = SessionStore(key)
    return request, key


def test_a_logout_names_its_session_by_fingerprint_after_the_commit(django_user_model, sent) -> None:
    ann = django_user_model.objects.create_user("ann", password="pw")
    request, key = logged_in_request(ann)
    request.user = ann
    with transaction.atomic():
        logout(request)
        assert sent == []  # not before the session's end is committed
    event = {"type": "tandem.disconnect", "code": 4401, "session": fingerprint(key)}
    assert sent == [(f"user_{ann.pk}", event)]
    assert key not in fingerprint(key)


def test_a_request_without_a_user_is_told_by_its_session(django_user_model, sent) -> None:
    ann = django_user_model.objects.create_user("ann", password="pw")
    request, key = logged_in_request(ann)
    logout(request)  # no request.user: Django sends user=None
    assert sent == [
        (f"user_{ann.pk}", {"type": "tandem.disconnect", "code": 4401, "session": fingerprint(key)})
    ]


def test_an_anonymous_logout_tells_nobody(sent) -> None:
    request = RequestFactory().post("/logout/")
    request.session = SessionStore()
    logout(request)
    assert sent == []
