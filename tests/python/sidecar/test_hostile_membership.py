"""Hostile input: membership on every frame. A non-member's typing on /ws/notifications/ is
refused like the messaging frames (never shown to the chat's members), and typing for chats
that do not exist leaves nothing behind in Redis."""

from __future__ import annotations

import redis
from chatclient import frames_within, of_type, send_frame, wait_for
from hostile import honest_exchange
from test_messaging_scale_out import own_session
from wsclient import greeting, open_socket

MISSING_CHATS = range(900_000, 900_030)


def test_a_non_member_cannot_type_into_a_chat(world, sidecar) -> None:
    with (
        open_socket(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/"), own_session(world.bob)) as bob,
        open_socket(sidecar.ws_url("/ws/notifications/"), own_session(world.eve)) as eve,
    ):
        greeting(bob)
        greeting(eve)
        send_frame(eve, "typing", state="start", chat=world.chat.pk, ref="t1")
        refused = wait_for(eve, of_type("error", ref="t1"))
        assert refused["code"] == "forbidden", refused
        assert [f for f in frames_within(bob, 1.0) if f["type"] == "typing"] == []
    honest_exchange(sidecar, world)


def test_a_member_still_types_from_the_notifications_socket(world, sidecar) -> None:
    with (
        open_socket(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/"), own_session(world.bob)) as bob,
        open_socket(sidecar.ws_url("/ws/notifications/"), own_session(world.ann)) as ann,
    ):
        greeting(bob)
        greeting(ann)
        send_frame(ann, "typing", state="start", chat=world.chat.pk)
        assert wait_for(bob, of_type("typing"))["users"] == [{"user": world.ann.pk, "name": "ann"}]


def test_typing_for_chats_that_do_not_exist_leaves_no_keys(world, sidecar, channel_layer_redis) -> None:
    with open_socket(sidecar.ws_url("/ws/notifications/"), own_session(world.eve)) as eve:
        greeting(eve)
        for chat in MISSING_CHATS:
            send_frame(eve, "typing", state="start", chat=chat, ref=str(chat))
            assert wait_for(eve, of_type("error", ref=str(chat)))["code"] == "forbidden"
    keys = redis.Redis.from_url(channel_layer_redis.url).keys("*typing*")
    assert [k for k in keys if any(str(c).encode() in k for c in MISSING_CHATS)] == []
    honest_exchange(sidecar, world)


def test_message_info_is_for_the_messages_sender_only(world, sidecar, client) -> None:
    from chatclient import send_message

    with open_socket(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/"), own_session(world.ann)) as ann:
        greeting(ann)
        seq = send_message(ann, "info-1", "who read this?")["seq"]
    url = f"/tandem/api/chats/{world.chat.pk}/messages/{seq}/info/"
    client.force_login(world.ann)
    assert client.get(url).json()["sender"] == world.ann.pk
    for other in (world.bob, world.eve):  # another member, a stranger
        client.force_login(other)
        response = client.get(url)
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    honest_exchange(sidecar, world)
