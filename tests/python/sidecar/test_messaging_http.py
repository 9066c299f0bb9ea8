"""The HTTP fallback: Django views send, receipt and page with the same rules and shapes as the
socket, and what they do reaches the sockets through the channel layer."""

from __future__ import annotations

import json

from chatclient import of_type, send_frame, send_message, wait_for
from wsclient import next_frame, open_socket


def api(chat, suffix: str = "messages/") -> str:
    return f"/tandem/api/chats/{chat.pk}/{suffix}"


def post_json(client, url: str, body: object):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_a_message_sent_over_http_reaches_the_sockets(world, sidecar, client) -> None:
    with open_socket(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/"), world.cookie(world.bob)) as bob:
        next_frame(bob)
        client.force_login(world.ann)
        response = post_json(client, api(world.chat), {"client_id": "http-1", "body": "over http"})
        assert response.status_code == 201
        ack = response.json()
        assert ack["type"] == "ack"
        assert ack["status"] == "sent"
        assert ack["seq"] == 1
        message = wait_for(bob, of_type("message"))
        assert (message["body"], message["id"], message["client_id"]) == ("over http", ack["id"], "http-1")


def test_http_and_socket_share_the_client_id_dedup(world, sidecar, client) -> None:
    from tandem.models import Message

    with open_socket(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/"), world.cookie(world.ann)) as ann:
        next_frame(ann)
        ack = send_message(ann, "both-ways", "once")
    client.force_login(world.ann)
    again = post_json(client, api(world.chat), {"client_id": "both-ways", "body": "once"})
    assert again.status_code == 200
    assert again.json()["duplicate"]
    assert again.json()["id"] == ack["id"]
    assert Message.objects.filter(client_id="both-ways").count() == 1


def test_http_receipts_reach_the_sender_and_message_info_tells_who_and_when(world, sidecar, client) -> None:
    with open_socket(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/"), world.cookie(world.ann)) as ann:
        next_frame(ann)
        ack = send_message(ann, "info-1", "did you read it?")
        client.force_login(world.bob)
        assert (
            post_json(client, api(world.chat, "receipts/"), {"kind": "read", "upto": ack["seq"]}).status_code
            == 204
        )
        assert wait_for(ann, of_type("status", status="read"))["upto"] == ack["seq"]
    client.force_login(world.ann)
    info = client.get(api(world.chat, f"messages/{ack['seq']}/info/")).json()
    assert info["status"] == "read"
    assert [m["user"] for m in info["members"]] == [world.bob.pk]
    assert info["members"][0]["read_at"] >= ack["created_at"]
    assert info["members"][0]["delivered_at"]


def test_http_history_and_missed_messages_have_the_socket_shapes(world, sidecar, client) -> None:
    with open_socket(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/"), world.cookie(world.ann)) as ann:
        next_frame(ann)
        for i in range(3):
            send_message(ann, f"hh-{i}", f"b{i}")
        send_frame(ann, "history")
        over_socket = wait_for(ann, of_type("history"))
        send_frame(ann, "sync", after=1)
        sync_over_socket = wait_for(ann, of_type("sync"))
    client.force_login(world.ann)
    assert client.get(api(world.chat)).json() == over_socket
    assert client.get(api(world.chat) + "?after=1").json() == sync_over_socket


def test_http_errors_are_typed_error_frames(world, client) -> None:
    assert client.get(api(world.chat)).status_code == 401
    client.force_login(world.eve)
    refused = client.get(api(world.chat))
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    client.force_login(world.ann)
    bad = post_json(client, api(world.chat), {"client_id": "x", "body": ""})
    assert bad.status_code == 400
    assert bad.json()["code"] == "body_empty"
    not_json = client.post(api(world.chat), "{", content_type="application/json")
    assert not_json.status_code == 400
    assert not_json.json()["code"] == "bad_frame"
    assert (
        post_json(client, api(world.chat, "receipts/"), {"kind": "seen", "upto": 1}).json()["code"]
        == "invalid_field"
    )
