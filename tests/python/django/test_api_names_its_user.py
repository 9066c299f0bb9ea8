"""Every JSON endpoint refuses a request that names another user than the one signed in
(`X-Tandem-User`): a page left open while its user logged out and someone else logged in, in
another tab of the same browser, still sends with the browser's cookie, which names that
someone now. Its sends, receipts, reads and settings must not pass as theirs (401
`unauthenticated`, nothing stored); a request naming the signed-in user, or none, is answered."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from tandem.models import Chat, Message, UserSettings

pytestmark = pytest.mark.django_db(transaction=True)

ENDPOINTS = [
    ("GET", "chats/{chat}/", None),
    ("POST", "chats/{chat}/messages/", {"client_id": "c-1", "body": "as whom?"}),
    ("GET", "chats/{chat}/messages/?after=0", None),
    ("GET", "chats/{chat}/messages/?limit=5", None),
    ("POST", "chats/{chat}/receipts/", {"kind": "read", "upto": 1}),
    ("GET", "chats/{chat}/messages/1/info/", None),
    ("GET", "settings/privacy/", None),
    ("POST", "settings/privacy/", {"read_receipts": False}),
    ("GET", "users/{ann}/presence/", None),
    ("GET", "session/", None),
]


@pytest.fixture
def pair(django_user_model: Any, sent: Any) -> dict[str, Any]:
    ann = django_user_model.objects.create_user("ann", password="pw")
    bob = django_user_model.objects.create_user("bob", password="pw")
    chat = Chat.create_with_members([ann, bob])
    bob_browser = Client()
    bob_browser.force_login(bob)
    bob_browser.post(  # one message of bob's, so info and receipts have a message to name
        f"/tandem/api/chats/{chat.pk}/messages/",
        json.dumps({"client_id": "first", "body": "hi"}),
        content_type="application/json",
    )
    return {"ann": ann, "bob": bob, "chat": chat, "browser": bob_browser}


def call(pair: dict[str, Any], method: str, path: str, body: Any, user: Any) -> Any:
    url = "/tandem/api/" + path.format(chat=pair["chat"].pk, ann=pair["ann"].pk)
    headers = {} if user is None else {"X-Tandem-User": str(user)}
    if method == "GET":
        return pair["browser"].get(url, headers=headers)
    return pair["browser"].post(url, json.dumps(body), content_type="application/json", headers=headers)


def stored(pair: dict[str, Any]) -> tuple[Any, ...]:
    member = pair["chat"].members.get(user=pair["bob"])
    settings = UserSettings.objects.filter(user=pair["bob"]).values_list("read_receipts", flat=True)
    return (Message.objects.count(), member.read_upto, list(settings))


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_a_request_for_another_user_is_refused_and_changes_nothing(pair, method, path, body) -> None:
    before = stored(pair)
    # Bob's cookie, from a page rendered for ann (her tab, left open in this browser).
    refused = call(pair, method, path, body, pair["ann"].pk)
    assert refused.status_code == 401
    assert refused.json()["code"] == "unauthenticated"
    assert stored(pair) == before
    refused = call(pair, method, path, body, "ann")  # not even a number
    assert refused.status_code == 401


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_a_request_naming_its_own_user_or_none_is_answered(pair, method, path, body) -> None:
    assert call(pair, method, path, body, pair["bob"].pk).status_code < 400
    assert call(pair, method, path, body, None).status_code < 400


def test_the_session_endpoint_names_the_signed_in_user_with_a_csrf_token(pair) -> None:
    answer = call(pair, "GET", "session/", None, pair["bob"].pk)
    assert answer.status_code == 200
    assert answer.json()["user"] == pair["bob"].pk
    assert len(answer.json()["csrf_token"]) == 64  # masked, as {% csrf_token %} renders it
    assert "no-store" in answer["Cache-Control"]  # never a cached "still signed in"
    assert Client().get("/tandem/api/session/").status_code == 401
    assert pair["browser"].post("/tandem/api/session/").status_code == 405


def test_with_login_required_middleware_the_api_still_answers_401_not_a_login_redirect(
    pair, settings
) -> None:
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "django.contrib.auth.middleware.LoginRequiredMiddleware"]
    for method, path, body in ENDPOINTS:
        anonymous = {"browser": Client(), "chat": pair["chat"], "ann": pair["ann"]}
        answer = call(anonymous, method, path, body, None)
        assert (path, answer.status_code, answer["Content-Type"]) == (path, 401, "application/json")


def test_after_a_login_elsewhere_a_post_with_the_old_csrf_token_is_refused_and_the_sessions_token_works(
    pair,
) -> None:
    """What the client's HTTP fallback relies on: a login (in another tab) rotates the CSRF token,
    Django's refusal of the old one is its HTML page (the API's own refusals are JSON), and the
    token api/session/ hands out is accepted."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(pair["bob"])
    old = browser.get("/tandem/api/session/").json()["csrf_token"]
    login = {"username": "bob", "password": "pw", "csrfmiddlewaretoken": old}
    assert browser.post("/accounts/login/", login).status_code == 302  # in another tab
    url = f"/tandem/api/chats/{pair['chat'].pk}/messages/"
    sent = {"client_id": "c-csrf", "body": "after the login"}
    refused = browser.post(
        url, json.dumps(sent), content_type="application/json", headers={"X-CSRFToken": old}
    )
    assert refused.status_code == 403
    assert "json" not in refused["Content-Type"]
    fresh = browser.get("/tandem/api/session/").json()["csrf_token"]
    stored = browser.post(
        url, json.dumps(sent), content_type="application/json", headers={"X-CSRFToken": fresh}
    )
    assert stored.status_code == 201
