"""The test project the end-to-end tests drive: Django's login page and a view whose
group_send reaches whoever listens on the user's group through real Redis."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from harness.python_layer import python_layer, receive, run
from harness.redis_server import RedisServer


def test_the_login_page_renders(client: Any) -> None:
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert b'name="username"' in page.content


@pytest.mark.django_db
def test_logging_in_sets_the_session_cookie(client: Any, django_user_model: Any) -> None:
    django_user_model.objects.create_user("ann", password="pw")
    answer = client.post("/accounts/login/", {"username": "ann", "password": "pw"})
    assert answer.status_code == 302
    assert client.cookies[settings.SESSION_COOKIE_NAME].value


def test_notify_sends_to_the_users_group(client: Any, channel_layer_redis: RedisServer) -> None:
    layer = python_layer([channel_layer_redis])

    async def listen() -> str:
        channel = await layer.new_channel()
        await layer.group_add("user_7", channel)
        return channel

    channel = run(listen())
    assert client.post("/notify/7/", {"text": "hi there"}).status_code == 204
    assert run(receive(layer, channel)) == {"type": "notification", "text": "hi there"}


def test_notify_only_accepts_post(client: Any) -> None:
    assert client.get("/notify/7/").status_code == 405
