"""Redis addresses as Django settings write them: Unix sockets, passwords and database numbers."""

from __future__ import annotations

import time
from pathlib import Path

from harness.python_layer import python_layer_for_hosts, receive, run
from harness.redis_server import RedisServer


def test_both_layers_meet_over_a_unix_socket_with_a_password(tmp_path: Path, make_peer_for_hosts) -> None:
    server = RedisServer(tmp_path / "redis", password="s3cret", unix_socket=True)
    server.start()
    try:
        peer = make_peer_for_hosts([server.unix_url])
        layer = python_layer_for_hosts([server.unix_url])

        async def scenario() -> dict:
            await layer.send(peer_channel, {"type": "over.unix"})
            channel = await layer.new_channel()
            assert peer.send(channel, {"type": "back"}) == "ok"
            return await receive(layer, channel)

        peer_channel = peer.new_channel()
        assert run(scenario()) == {"type": "back"}
        assert peer.receive() == (peer_channel, {"type": "over.unix"})
    finally:
        server.stop()


def test_the_database_number_in_the_url_is_used(tmp_path: Path, make_peer_for_hosts) -> None:
    server = RedisServer(tmp_path / "redis", password="pw")
    server.start()
    try:
        peer = make_peer_for_hosts([server.url_for(3)])
        assert peer.send("work.db3", {"type": "x"}) == "ok"
        assert server.client(3).zcard("asgiwork.db3") == 1
        assert server.client(0).zcard("asgiwork.db3") == 0
    finally:
        server.stop()


def test_a_wrong_password_leaves_the_layer_unavailable_not_hung(tmp_path: Path, make_peer_for_hosts) -> None:
    server = RedisServer(tmp_path / "redis", password="right")
    server.start()
    try:
        wrong = f"redis://:wrong@127.0.0.1:{server.port}/0"
        peer = make_peer_for_hosts([wrong], wait_ready=False)
        assert peer.send("work.x", {"type": "x"}) == "unavailable"
        # The send fails fast (not connected); the handshake's own log line may come a moment later.
        deadline = time.monotonic() + 5
        while "redis_auth_failed" not in peer.stderr_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "redis_auth_failed" in peer.stderr_path.read_text()
    finally:
        server.stop()
