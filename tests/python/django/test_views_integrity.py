"""The JSON views under the conditions a real site has: ATOMIC_REQUESTS, a Redis that is down
after the commit, database errors that are not outages, and numbers past int64."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from tandem import publishing
from tandem.models import Chat, Message


@pytest.fixture
def pair(django_user_model: Any) -> tuple[Chat, Any, Any]:
    ann = django_user_model.objects.create_user("ann", password="pw")
    bob = django_user_model.objects.create_user("bob", password="pw")
    return Chat.create_with_members([ann, bob]), ann, bob


def post_message(client: Any, chat_id: int, client_id: str) -> Any:
    return client.post(
        f"/tandem/api/chats/{chat_id}/messages/",
        json.dumps({"client_id": client_id, "body": "hello"}),
        content_type="application/json",
    )


@pytest.mark.django_db(transaction=True)
def test_a_send_under_atomic_requests_commits_on_its_own(
    pair, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat, ann, _ = pair
    monkeypatch.setattr(publishing, "_layer_send", lambda group, event: None)
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    client.force_login(ann)
    # filterwarnings=error: a TandemTransactionWarning here fails the test.
    assert post_message(client, chat.pk, "atomic-requests").status_code == 201


@pytest.mark.django_db(transaction=True)
def test_a_layer_outage_after_the_commit_still_answers_the_stored_message(
    pair, client: Any, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    chat, ann, _ = pair
    # Nothing listens on port 1: every group_send fails.
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1"]},
        }
    }
    client.force_login(ann)
    held_before = publishing.republisher.waiting()[0]  # the pair's membership news, if still held
    response = post_message(client, chat.pk, "layer-down")
    assert response.status_code == 201
    assert Message.objects.filter(client_id="layer-down").exists()
    # Held to be published once the layer answers (tandem.publishing), and said so in the log.
    assert publishing.republisher.waiting()[0] == held_before + 1
    assert any("held to publish again" in record.getMessage() for record in caplog.records)


@pytest.mark.django_db
def test_a_database_error_that_is_not_an_outage_is_a_500_not_a_retry(
    pair, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat, ann, _ = pair
    monkeypatch.setattr(publishing, "_layer_send", lambda group, event: None)
    Message.objects.create(
        chat=chat, sender=ann, client_id="planted", seq=1, body="x", created_at="2026-01-01T00:00Z"
    )
    client.force_login(ann)
    response = post_message(client, chat.pk, "collides")
    assert response.status_code == 500
    assert response.json()["code"] == "internal"
    assert "Retry-After" not in response


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/tandem/api/chats/{chat}/messages/?after=9223372036854775808",
        "/tandem/api/chats/{chat}/messages/?before=99999999999999999999",
        "/tandem/api/chats/99999999999999999999/messages/",
        "/tandem/api/chats/{chat}/messages/99999999999999999999/info/",
    ],
)
def test_numbers_past_int64_are_a_400(pair, client: Any, url: str) -> None:
    chat, ann, _ = pair
    client.force_login(ann)
    response = client.get(url.format(chat=chat.pk))
    assert response.status_code == 400, response.content
