"""The C++ layer → Python channels_redis: what Tandem sends reaches Django consumers intact."""

from __future__ import annotations

from typing import Any

import pytest
from harness.python_layer import python_layer, receive, run

MESSAGES: list[dict[str, Any]] = [
    {"type": "chat.message", "text": "hi"},
    {"type": "t", "int": 1, "float": 1.0, "neg": -129, "big": 2**63 - 1, "huge": 2**64 - 1, "tiny": -(2**63)},
    {
        "type": "t",
        "bytes": b"\x00\xff\x80",
        "str": "",
        "none": None,
        "yes": True,
        "nested": {"a": [1, {"b": b"x"}]},
    },
    {"type": "t", "unicode": "Zoë 👍 中文", "float": 0.1, "e": -1e-300},
]


@pytest.mark.parametrize(
    "message", MESSAGES, ids=["worked-example", "ints", "bytes-nested", "unicode-floats"]
)
def test_a_cpp_send_reaches_a_python_channel_with_exact_types(shards, make_peer, message) -> None:
    peer = make_peer(shards)

    async def scenario() -> dict[str, Any]:
        layer = python_layer(shards)
        channel = await layer.new_channel()
        assert peer.send(channel, message) == "ok"
        return await receive(layer, channel)

    got = run(scenario())
    assert got == message
    assert [type(v) for v in got.values()] == [type(v) for v in message.values()]


def test_a_cpp_send_reaches_a_plain_python_channel(shards, make_peer) -> None:
    peer = make_peer(shards)

    async def scenario() -> dict[str, Any]:
        layer = python_layer(shards)
        assert peer.send("tandem.worker", {"type": "bridge.frame", "user": 7}) == "ok"
        return await receive(layer, "tandem.worker")

    assert run(scenario()) == {"type": "bridge.frame", "user": 7}


def test_a_cpp_group_send_reaches_python_members_in_two_processes(shards, make_peer) -> None:
    peer = make_peer(shards)

    async def scenario() -> list[dict[str, Any]]:
        first, second = python_layer(shards), python_layer(shards)  # two client prefixes: two "processes"
        a1, a2, b1 = await first.new_channel(), await first.new_channel(), await second.new_channel()
        for channel in (a1, a2, b1):
            assert peer.group_add("room", channel) == "ok"
        result = peer.group_send("room", {"type": "chat.message", "text": "to all"})
        assert result == {"id": result["id"], "status": "ok", "members": 3, "over_capacity": 0}
        return [await receive(first, a1), await receive(first, a2), await receive(second, b1)]

    assert run(scenario()) == [{"type": "chat.message", "text": "to all"}] * 3


def test_cpp_group_add_writes_what_python_expects(shards, make_peer) -> None:
    peer = make_peer(shards)
    channel = peer.new_channel()
    assert peer.group_add("lobby", channel) == "ok"
    layer = python_layer(shards)
    index = layer.consistent_hash("lobby")
    client = shards[index].client()
    members = client.zrange("asgi:group:lobby", 0, -1, withscores=True)
    assert [m for m, _ in members] == [channel.encode()]
    assert isinstance(members[0][1], float)
    assert 86000 < client.ttl("asgi:group:lobby") <= 86400
    assert peer.group_discard("lobby", channel) == "ok"
    assert client.zrange("asgi:group:lobby", 0, -1) == []
