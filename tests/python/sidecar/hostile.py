"""Shared by the hostile-input suite: after each group of probes, an honest pair of sockets
must still exchange a message, so a probe that wedged or crashed the process fails its group."""

from __future__ import annotations

import uuid
from typing import Any

from chatclient import of_type, send_message, wait_for
from test_messaging_scale_out import own_session
from wsclient import greeting, open_socket


def honest_exchange(sidecar: Any, world: Any) -> None:
    """Ann sends on her chat socket; Bob's chat socket receives it live."""
    assert sidecar.process.poll() is None, f"the sidecar died:\n{sidecar.log()[-4000:]}"
    chat_url = sidecar.ws_url(f"/ws/chat/{world.chat.pk}/")
    with open_socket(chat_url, own_session(world.ann)) as ann, open_socket(chat_url, own_session(world.bob)) as bob:
        greeting(ann)
        greeting(bob)
        client_id = f"honest-{uuid.uuid4().hex[:12]}"
        ack = send_message(ann, client_id, "still standing")
        assert ack["type"] == "ack", ack
        wait_for(bob, of_type("message", client_id=client_id, body="still standing"))
