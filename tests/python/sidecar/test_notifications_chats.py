"""A /ws/notifications/ socket of a user in more chats than notifications_max_chats joins the
most recently active ones: the chats left out are the quiet ones, never the newest."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from wsclient import frame_of_type, greeting, open_socket


def test_past_the_limit_the_most_recently_active_chats_are_joined(world, make_sidecar) -> None:
    from tandem import messaging
    from tandem.models import Chat

    sidecar = make_sidecar(notifications_max_chats=1)
    newer = Chat.create_with_members([world.ann, world.bob])
    messaging.send_message(chat_id=newer.pk, sender_id=world.bob.pk, client_id="fresh", body="hi")
    with open_socket(sidecar.ws_url("/ws/notifications/"), world.cookie(world.ann)) as ws:
        greeting(ws)
        event = {"type": "chat.message", "body": "to the active chat", "sender": world.bob.pk}
        async_to_sync(get_channel_layer().group_send)(f"chat_{newer.pk}", event)
        assert frame_of_type(ws, "message")["body"] == "to the active chat"
