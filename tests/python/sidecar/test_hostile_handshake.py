"""Hostile input at the handshake: a Sec-WebSocket-Key that is not a base64 16-byte nonce is a
400 (RFC 6455 4.2.1), and chat ids are accepted up to the largest int64, refused beyond."""

from __future__ import annotations

import socket

import pytest
from hostile import honest_exchange
from test_messaging_scale_out import own_session
from wsclient import refused_status

GOOD_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
BAD_KEYS = [
    "",
    "short",
    "dGhlIHNhbXBsZSBub25jZQ",  # no padding
    "dGhlIHNhbXBsZSBub25jZR==",  # padding bits set: not canonical
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",  # 25 bytes
    "dGhlIHNhbXBsZSBub25j*Q==",  # not base64
]


def upgrade_status(sidecar, cookie: str, key: str, path: str = "/ws/notifications/") -> int:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\nOrigin: http://localhost\r\n"
        f"Cookie: sessionid={cookie}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", sidecar.port), timeout=10) as conn:
        conn.sendall(request.encode())
        status_line = conn.recv(4096).split(b"\r\n", 1)[0]
    return int(status_line.split()[1])


def test_a_key_that_is_not_16_bytes_of_base64_is_400(world, sidecar) -> None:
    cookie = own_session(world.ann)
    for key in BAD_KEYS:
        assert upgrade_status(sidecar, cookie, key) == 400, key
    assert upgrade_status(sidecar, cookie, GOOD_KEY) == 101
    honest_exchange(sidecar, world)


@pytest.mark.parametrize(
    ("chat_id", "status"),
    [("9223372036854775807", 403), ("1000000000000000000", 403), ("9223372036854775808", 400)],
)
def test_chat_ids_up_to_int64_max_are_chats(world, sidecar, chat_id: str, status: int) -> None:
    assert refused_status(sidecar.ws_url(f"/ws/chat/{chat_id}/"), own_session(world.ann)) == status
