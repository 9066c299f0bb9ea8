"""Python channels_redis → the C++ layer: what Django sends reaches Tandem's channels intact."""

from __future__ import annotations

from typing import Any

import pytest
from harness.python_layer import python_layer, run

MESSAGES: list[dict[str, Any]] = [
    {"type": "chat.message", "text": "hi"},
    {"type": "t", "int": 1, "float": 1.0, "neg": -129, "big": 2**63 - 1, "huge": 2**64 - 1, "tiny": -(2**63)},
    {
        "type": "t",
        "bytes": b"\x00\xff\x80",
        "empty_bytes": b"",
        "str": "",
        "none": None,
        "yes": True,
        "no": False,
    },
    {
        "type": "t",
        "unicode": "Zoë 👍 中文 \u2028",
        "nested": {"a": [1, [2, {"b": b"x"}]], "c": {}},
        "list": [],
    },
    {"type": "t", "float": 0.1, "negzero": -0.0, "e": 1e300},
]


@pytest.mark.parametrize(
    "message", MESSAGES, ids=["worked-example", "ints", "bytes-and-atoms", "nested", "floats"]
)
def test_a_python_send_reaches_the_cpp_channel_with_exact_types(shards, make_peer, message) -> None:
    peer = make_peer(shards)
    channel = peer.new_channel()
    run(python_layer(shards).send(channel, message))
    got_channel, got = peer.receive()
    assert got_channel == channel
    assert got == message
    assert [type(v) for v in got.values()] == [type(v) for v in message.values()]


def test_a_one_megabyte_message_arrives_whole(shards, make_peer) -> None:
    peer = make_peer(shards)
    channel = peer.new_channel()
    message = {"type": "blob", "text": "x" * 1_000_000, "data": bytes(range(256)) * 4096}
    run(python_layer(shards).send(channel, message))
    assert peer.receive(timeout=10) == (channel, message)


def test_a_python_group_send_reaches_every_cpp_member_once(shards, make_peer) -> None:
    peer = make_peer(shards)
    channels = [peer.new_channel() for _ in range(3)]

    async def scenario() -> None:
        layer = python_layer(shards)
        for channel in channels:
            await layer.group_add("chat_42", channel)
        await layer.group_send("chat_42", {"type": "chat.message", "n": 1})

    run(scenario())
    received = sorted(peer.receive() for _ in channels)
    assert received == sorted((c, {"type": "chat.message", "n": 1}) for c in channels)
    assert peer.nothing_received()


def test_python_send_to_a_cpp_channel_is_received_even_on_the_shard_python_picks_wrongly(
    shards, make_peer
) -> None:
    """channels_redis hashes the full name on send but the queue name on receive
    (django/channels#1492); the C++ layer reads its queue on every shard, so nothing is lost."""
    peer = make_peer(shards)
    channels = [peer.new_channel() for _ in range(20)]

    async def scenario() -> None:
        layer = python_layer(shards)
        for i, channel in enumerate(channels):
            await layer.send(channel, {"type": "n", "i": i})

    run(scenario())
    got = sorted(peer.receive()[1]["i"] for _ in channels)
    assert got == list(range(20))
