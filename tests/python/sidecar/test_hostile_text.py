"""Hostile input: NUL, control characters and bodies that render as nothing. One rule in the
core judges them, so the socket and the HTTP view give the same verdict, and nothing is
stored truncated."""

from __future__ import annotations

import json

import pytest
from chatclient import send_message
from hostile import honest_exchange
from test_messaging_scale_out import own_session
from wsclient import greeting, open_socket

VERDICTS = [
    ("a\u0000b", "invalid_field"),
    ("\u0000", "invalid_field"),
    ("bell\u0007", "invalid_field"),
    ("esc\u001b[31m", "invalid_field"),
    ("c1\u009b31m", "invalid_field"),
    ("\u00a0\u00a0", "body_empty"),
    ("\u3000", "body_empty"),
    ("\u2028", "body_empty"),
    ("\u200b\ufeff", "body_empty"),
]


def test_the_socket_and_http_refuse_the_same_bodies(world, sidecar, client) -> None:
    from tandem.models import Message

    client.force_login(world.ann)
    url = f"/tandem/api/chats/{world.chat.pk}/messages/"
    with open_socket(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/"), own_session(world.ann)) as ws:
        greeting(ws)
        for n, (body, code) in enumerate(VERDICTS):
            over_socket = send_message(ws, f"bad-{n}", body)
            assert (over_socket["type"], over_socket["code"]) == ("error", code), (body, over_socket)
            response = client.post(url, json.dumps({"client_id": f"bad-http-{n}", "body": body}),
                                   content_type="application/json")
            assert response.status_code == 400, (body, response.status_code)
            assert response.json()["code"] == code, body
    assert not Message.objects.exists()
    honest_exchange(sidecar, world)


@pytest.mark.parametrize("body", ["tab\tand\r\nnewlines", "a\u00a0b", "\U0001f469\u200d\U0001f4bb"])
def test_text_with_allowed_white_space_is_stored_faithfully(world, sidecar, body) -> None:
    from tandem.models import Message

    with open_socket(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/"), own_session(world.ann)) as ws:
        greeting(ws)
        assert send_message(ws, "fine", body)["type"] == "ack"
    assert Message.objects.get().body == body
