"""Django code reaches sockets through the channel layer: group_send to a user's group reaches
every tab; unknown event types are dropped without harm; the bridge runs Python handlers."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from harness.django_process import start_manage, stop
from websockets.exceptions import ConnectionClosed
from wsclient import frame_of_type, greeting, next_frame, open_socket


def test_a_django_view_reaches_every_tab_of_the_user(world, sidecar, client) -> None:
    cookie = world.cookie(world.ann)
    url = sidecar.ws_url("/ws/notifications/")
    chat_url = sidecar.ws_url(f"/ws/chat/{world.chat.pk}/")
    with open_socket(url, cookie) as tab1, open_socket(chat_url, cookie) as tab2:
        next_frame(tab1)
        next_frame(tab2)
        assert client.post(f"/notify/{world.ann.pk}/", {"text": "hello ann"}).status_code == 204
        assert frame_of_type(tab1, "notification") == {"type": "notification", "text": "hello ann"}
        assert frame_of_type(tab2, "notification") == {"type": "notification", "text": "hello ann"}


def test_a_chat_group_send_reaches_the_chat_sockets(world, sidecar) -> None:
    with open_socket(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/"), world.cookie(world.bob)) as ws:
        greeting(ws)
        event = {"type": "chat.message", "body": "hi", "sender": world.ann.pk}
        async_to_sync(get_channel_layer().group_send)(f"chat_{world.chat.pk}", event)
        assert frame_of_type(ws, "message") == {"type": "message", "body": "hi", "sender": world.ann.pk}


def test_unknown_events_are_dropped_and_the_socket_keeps_working(world, sidecar) -> None:
    with open_socket(sidecar.ws_url("/ws/notifications/"), world.cookie(world.ann)) as ws:
        greeting(ws)
        layer = get_channel_layer()
        async_to_sync(layer.group_send)(f"user_{world.ann.pk}", {"type": "something.else", "x": 1})
        async_to_sync(layer.group_send)(f"user_{world.ann.pk}", {"type": "notification", "text": "after"})
        assert frame_of_type(ws, "notification") == {"type": "notification", "text": "after"}
    assert "event=layer_event_dropped" in sidecar.log()


def test_a_django_disconnect_event_closes_the_socket_with_its_code(world, sidecar) -> None:
    with open_socket(sidecar.ws_url("/ws/notifications/"), world.cookie(world.ann)) as ws:
        greeting(ws)
        async_to_sync(get_channel_layer().group_send)(f"user_{world.ann.pk}", {"type": "tandem.disconnect"})
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
    assert closed.value.rcvd.code == 4401


def test_the_bridge_runs_python_handlers_in_a_real_runworker(world, sidecar, tmp_path) -> None:
    with (tmp_path / "runworker.log").open("wb") as log:
        worker = start_manage("runworker", "tandem.bridge", log=log)
        try:
            with open_socket(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/"), world.cookie(world.ann)) as ws:
                greeting(ws)
                ws.send(json.dumps({"type": "echo", "text": "through python"}))
                reply = frame_of_type(ws, "echo.reply", timeout=20)
        finally:
            stop(worker)
    assert reply["text"] == "through python"
    assert reply["user_id"] == world.ann.pk
