"""group_prefix: the sidecar's sockets and Django's messaging use prefixed group names, so a
site's own consumers on `user_<id>` / `chat_<id>` never receive Tandem's events."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from chatclient import of_type, wait_for
from wsclient import frame_of_type, greeting, open_socket


def test_sockets_and_django_use_the_prefixed_groups(world, make_sidecar, client, settings) -> None:
    settings.TANDEM = {"group_prefix": "tandem_"}
    sidecar = make_sidecar(group_prefix="tandem_")
    with open_socket(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/"), world.cookie(world.bob)) as bob:
        greeting(bob)
        layer = get_channel_layer()
        async_to_sync(layer.group_send)(f"user_{world.bob.pk}", {"type": "notification", "text": "legacy"})
        async_to_sync(layer.group_send)(
            f"tandem_user_{world.bob.pk}", {"type": "notification", "text": "ours"}
        )
        assert frame_of_type(bob, "notification")["text"] == "ours"
        client.force_login(world.ann)
        sent = client.post(
            f"/tandem/api/chats/{world.chat.pk}/messages/",
            json.dumps({"client_id": "prefixed", "body": "via http"}),
            content_type="application/json",
        )
        assert sent.status_code == 201
        assert wait_for(bob, of_type("message"))["body"] == "via http"


def test_a_prefix_outside_channels_group_name_rules_is_refused(make_sidecar) -> None:
    with pytest.raises(Exception, match="group_prefix"):
        make_sidecar(group_prefix="bad prefix!")
