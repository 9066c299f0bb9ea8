"""Answers to `history` and `sync` echo the request's `ref` (issue 15; docs/protocol.md,
"Messaging"), on every page and on the errors refusing them, so a client matches each answer
to its request."""

from __future__ import annotations

import json

from chatclient import of_type, send_message, wait_for
from test_messaging_scale_out import own_session
from wsclient import greeting, open_socket


def test_history_and_sync_pages_and_their_errors_echo_the_ref(world, make_sidecar) -> None:
    from tandem.models import Chat

    theirs = Chat.create_with_members([world.eve, world.bob])  # a chat ann is not in
    sidecar = make_sidecar(sync_page=2)
    with open_socket(sidecar.ws_url("/ws/notifications/"), own_session(world.ann)) as ann:
        greeting(ann)
        for i in range(5):
            assert send_message(ann, f"m{i}", f"message {i}", chat=world.chat.pk)["type"] == "ack"
        ann.send(json.dumps({"type": "history", "chat": world.chat.pk, "ref": "h-1"}))
        assert wait_for(ann, of_type("history"))["ref"] == "h-1"
        ann.send(json.dumps({"type": "sync", "chat": world.chat.pk, "after": 0, "ref": 7}))
        pages = [wait_for(ann, of_type("sync")) for _ in range(3)]  # 5 messages, 2 a page
        assert [p["ref"] for p in pages] == ["7", "7", "7"]
        assert [p["more"] for p in pages] == [True, True, False]
        # Refusals echo it too.
        for kind in ("history", "sync"):
            ann.send(json.dumps({"type": kind, "chat": theirs.pk, "after": 0, "ref": f"{kind}-x"}))
            refused = wait_for(ann, of_type("error"))
            assert (refused["code"], refused["ref"]) == ("forbidden", f"{kind}-x")
        ann.send(json.dumps({"type": "history", "chat": world.chat.pk}))
        assert "ref" not in wait_for(ann, of_type("history"))
