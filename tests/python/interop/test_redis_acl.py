"""Redis ACL users and refused credentials: redis://user:pass@host (and channels_redis's
username/password keys) reach an ACL user; a refused AUTH is one clear log line and an
unready layer that retries slowly, not a reconnect storm."""

from __future__ import annotations

import time
from pathlib import Path

from harness.python_layer import python_layer_for_hosts, receive, run
from harness.redis_server import RedisServer
from tandem.sidecar.redis_hosts import redis_url

# What a site's Redis user needs for the channel layer and Tandem's presence and typing keys.
ACL_RULES = ["on", ">app-secret", "~asgi*", "+@all", "-@dangerous", "+flushdb", "+info"]


def _acl_server(tmp_path: Path) -> RedisServer:
    server = RedisServer(tmp_path / "redis", password="admin-only")
    server.start()
    server.client().execute_command("ACL", "SETUSER", "tandem", *ACL_RULES)
    return server


def test_an_acl_user_from_the_django_settings_reaches_redis(tmp_path: Path, make_peer_for_hosts) -> None:
    server = _acl_server(tmp_path)
    try:
        entry = {"host": "127.0.0.1", "port": server.port, "username": "tandem", "password": "app-secret"}
        url = redis_url(entry)  # what `manage.py tandem` hands the sidecar
        assert url == f"redis://tandem:app-secret@127.0.0.1:{server.port}/0"
        peer = make_peer_for_hosts([url])
        layer = python_layer_for_hosts([entry])
        peer_channel = peer.new_channel()

        async def scenario() -> dict:
            await layer.send(peer_channel, {"type": "as.acl.user"})
            channel = await layer.new_channel()
            assert peer.send(channel, {"type": "back"}) == "ok"
            return await receive(layer, channel)

        assert run(scenario()) == {"type": "back"}
        assert peer.receive() == (peer_channel, {"type": "as.acl.user"})
        clients = server.client().execute_command("CLIENT", "LIST").decode()
        assert "user=tandem" in clients
    finally:
        server.stop()


def _connections(server: RedisServer) -> int:
    return int(server.client().info("stats")["total_connections_received"])


def test_a_refused_password_is_one_clear_line_and_no_reconnect_storm(tmp_path: Path, make_peer_for_hosts) -> None:
    server = _acl_server(tmp_path)
    try:
        before = _connections(server)
        peer = make_peer_for_hosts([f"redis://tandem:wrong@127.0.0.1:{server.port}/0"], wait_ready=False)
        assert peer.send("work.x", {"type": "x"}) == "unavailable"
        time.sleep(4)  # long enough for a 100 ms..1 s reconnect backoff to try many times
        assert not peer.request("wait_ready", timeout_s=1)["ready"]
        # One command and one receive connection, each refused once: no retry within 10 s.
        # (-1: the harness's own connection for INFO.)
        attempts = _connections(server) - before - 1
        assert attempts <= 2, f"{attempts} connections in 4 s"
        log = peer.stderr_path.read_text()
        refusals = [line for line in log.splitlines() if "redis_auth_failed" in line]
        assert 1 <= len(refusals) <= 2, log
        assert "WRONGPASS" in refusals[0]
        assert "user=tandem" in refusals[0]
        assert "check the username and password" in refusals[0]
        assert "wrong" not in refusals[0].replace("WRONGPASS", "")  # the password is never logged
    finally:
        server.stop()


def test_a_missing_password_is_reported_at_connect_not_per_command(tmp_path: Path, make_peer_for_hosts) -> None:
    server = RedisServer(tmp_path / "redis", password="needed")
    server.start()
    try:
        peer = make_peer_for_hosts([f"redis://127.0.0.1:{server.port}/0"], wait_ready=False)
        assert not peer.request("wait_ready", timeout_s=2)["ready"]
        deadline = time.monotonic() + 10
        while "redis_auth_failed" not in peer.stderr_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "NOAUTH" in peer.stderr_path.read_text()
    finally:
        server.stop()
