"""Fixtures for the interop suite: real Redis servers (one or two shards), the real
channels_redis layer in Python, and the C++ layer in a peer process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from harness.layer_peer import LayerPeer
from harness.redis_server import RedisServer


@pytest.fixture(params=[1, 2], ids=["1-shard", "2-shards"])
def shards(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[RedisServer]]:
    servers = [RedisServer(tmp_path / f"redis{i}") for i in range(request.param)]
    for server in servers:
        server.start()
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture
def one_shard(tmp_path: Path) -> Iterator[list[RedisServer]]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield [server]
    server.stop()


@pytest.fixture
def make_peer(tmp_path: Path) -> Iterator[Callable[..., LayerPeer]]:
    peers: list[LayerPeer] = []

    def make(servers: list[RedisServer], *args: str) -> LayerPeer:
        peer = LayerPeer([s.url for s in servers], *args, log=tmp_path / f"peer{len(peers)}.log")
        peers.append(peer)
        return peer

    yield make
    for peer in peers:
        peer.close()


@pytest.fixture
def make_peer_for_hosts(tmp_path: Path) -> Iterator[Callable[..., LayerPeer]]:
    """A peer over explicit host strings (unix sockets, passwords, db numbers)."""
    peers: list[LayerPeer] = []

    def make(hosts: list[str], *args: str, wait_ready: bool = True) -> LayerPeer:
        peer = LayerPeer(hosts, *args, log=tmp_path / f"hostpeer{len(peers)}.log", wait_ready=wait_ready)
        peers.append(peer)
        return peer

    yield make
    for peer in peers:
        peer.close()
