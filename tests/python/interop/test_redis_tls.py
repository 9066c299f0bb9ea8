"""rediss://: the C++ layer and channels_redis meet on a TLS-only redis-server, with the
server verified against a CA (redis-py's ssl_ca_certs) and a client certificate the server
requires (tls-auth-clients yes); a server the CA did not sign is refused with a clear reason."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import channels_redis
import pytest
from harness.certificates import KeyPair, make_ca, make_cert
from harness.python_layer import python_layer_for_hosts, receive, run
from harness.redis_server import RedisServer, TlsFiles

CHANNELS_REDIS = tuple(int(part) for part in channels_redis.__version__.split(".")[:3])


@dataclass(frozen=True)
class TlsWorld:
    server: RedisServer
    ca: KeyPair
    client: KeyPair
    other_ca: KeyPair

    def url(self, ca: KeyPair | None = None, *, client: KeyPair | None = None, **extra: str) -> str:
        query = {"ssl_ca_certs": str((ca or self.ca).cert), **extra}
        if client is not None:
            query |= {"ssl_certfile": str(client.cert), "ssl_keyfile": str(client.key)}
        text = "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
        return f"rediss://127.0.0.1:{self.server.port}/0?{text}"


@pytest.fixture
def tls_world(tmp_path: Path) -> Iterator[TlsWorld]:
    certs = tmp_path / "certs"
    ca = make_ca(certs, "tandem-test-ca")
    server_pair = make_cert(certs, "redis", ca)
    client = make_cert(certs, "sidecar", ca)
    other_ca = make_ca(certs, "someone-else")
    server = RedisServer(
        tmp_path / "redis",
        tls=TlsFiles(server_pair.cert, server_pair.key, client_ca=ca.cert),
        client_tls={"ssl_ca_certs": str(ca.cert), "ssl_certfile": str(client.cert), "ssl_keyfile": str(client.key)},
    )
    server.start()
    yield TlsWorld(server, ca, client, other_ca)
    server.stop()


def _wait_for(path: Path, text: str, limit: float = 15) -> str:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        content = path.read_text() if path.exists() else ""
        if text in content:
            return content
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in {path}")


# channels_redis 4.0.0 (Debian 12's) builds its pool with from_url(host["address"]) and drops
# every other key of a host dict, so its Python side cannot verify against the test's CA; the
# sidecar's own TLS checks below still run against it.
@pytest.mark.skipif(CHANNELS_REDIS < (4, 1, 0), reason="channels_redis 4.0.0 ignores ssl_* keys of a host dict")
def test_messages_cross_a_verified_tls_connection_both_ways(tls_world: TlsWorld, make_peer_for_hosts) -> None:
    peer = make_peer_for_hosts([tls_world.url(client=tls_world.client)])
    # channels_redis as a Django site writes it: the address plus redis-py's SSL keywords.
    layer = python_layer_for_hosts(
        [
            {
                "address": f"rediss://127.0.0.1:{tls_world.server.port}/0",
                "ssl_ca_certs": str(tls_world.ca.cert),
                "ssl_certfile": str(tls_world.client.cert),
                "ssl_keyfile": str(tls_world.client.key),
                "ssl_cert_reqs": "required",
            }
        ]
    )
    peer_channel = peer.new_channel()

    async def scenario() -> dict:
        await layer.send(peer_channel, {"type": "over.tls", "n": 1})
        channel = await layer.new_channel()
        assert peer.send(channel, {"type": "back.over.tls"}) == "ok"
        return await receive(layer, channel)

    assert run(scenario()) == {"type": "back.over.tls"}
    assert peer.receive() == (peer_channel, {"type": "over.tls", "n": 1})


def test_a_server_signed_by_another_ca_is_refused_clearly(tls_world: TlsWorld, make_peer_for_hosts) -> None:
    peer = make_peer_for_hosts([tls_world.url(tls_world.other_ca, client=tls_world.client)], wait_ready=False)
    assert peer.send("work.x", {"type": "x"}) == "unavailable"
    log = _wait_for(peer.stderr_path, "redis_tls_failed")
    assert "certificate verify failed" in log
    assert 'certificate="self-signed certificate in certificate chain"' in log or "unable to get local issuer" in log
    assert not peer.request("wait_ready", timeout_s=1)["ready"]


def test_without_verification_any_server_certificate_is_accepted(tls_world: TlsWorld, make_peer_for_hosts) -> None:
    # ssl_cert_reqs=none, as redis-py spells it: encrypted, but the server is not checked.
    peer = make_peer_for_hosts([tls_world.url(tls_world.other_ca, client=tls_world.client, ssl_cert_reqs="none")])
    assert peer.send("work.none", {"type": "x"}) == "ok"
    assert tls_world.server.client().zcard("asgiwork.none") == 1


def test_the_host_name_is_checked_unless_ssl_check_hostname_is_off(
    tls_world: TlsWorld, make_peer_for_hosts, tmp_path: Path
) -> None:
    # A certificate for another name, signed by the trusted CA.
    elsewhere = make_cert(tmp_path / "certs", "elsewhere", tls_world.ca, san="DNS:cache.example")
    server = RedisServer(
        tmp_path / "redis-elsewhere",
        tls=TlsFiles(elsewhere.cert, elsewhere.key),
        client_tls={"ssl_ca_certs": str(tls_world.ca.cert), "ssl_check_hostname": False},
    )
    server.start()
    try:
        base = f"rediss://127.0.0.1:{server.port}/0?ssl_ca_certs={quote(str(tls_world.ca.cert), safe='')}"
        refused = make_peer_for_hosts([base], wait_ready=False)
        assert refused.send("work.x", {"type": "x"}) == "unavailable"
        _wait_for(refused.stderr_path, "redis_tls_failed")
        accepted = make_peer_for_hosts([base + "&ssl_check_hostname=false"])
        assert accepted.send("work.y", {"type": "y"}) == "ok"
    finally:
        server.stop()


def test_a_missing_client_certificate_is_refused_by_the_server(tls_world: TlsWorld, make_peer_for_hosts) -> None:
    peer = make_peer_for_hosts([tls_world.url()], wait_ready=False)
    assert peer.send("work.x", {"type": "x"}) == "unavailable"
    assert not peer.request("wait_ready", timeout_s=2)["ready"]
