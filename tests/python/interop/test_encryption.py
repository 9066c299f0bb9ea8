"""symmetric_encryption_keys: Fernet both ways, key rotation, and a wrong key that is dropped
with an error instead of crashing the C++ process."""

from __future__ import annotations

import channels_redis
import pytest
from harness.python_layer import python_layer, receive, run

CHANNELS_REDIS = tuple(int(part) for part in channels_redis.__version__.split(".")[:3])


def test_encrypted_messages_cross_in_both_directions(shards, make_peer) -> None:
    peer = make_peer(shards, "--key", "k1")
    cpp_channel = peer.new_channel()

    async def scenario() -> dict:
        layer = python_layer(shards, symmetric_encryption_keys=["k1"])
        await layer.send(cpp_channel, {"type": "secret", "v": b"\x01"})
        channel = await layer.new_channel()
        assert peer.send(channel, {"type": "secret", "v": 2}) == "ok"
        return await receive(layer, channel)

    assert run(scenario()) == {"type": "secret", "v": 2}
    assert peer.receive() == (cpp_channel, {"type": "secret", "v": b"\x01"})
    raw = shards[0].client().keys("asgi*")
    assert raw == [] or all(b"secret" not in m for k in raw for m in shards[0].client().zrange(k, 0, -1))


def test_rotated_keys_decrypt_with_any_and_encrypt_with_the_first(shards, make_peer) -> None:
    peer = make_peer(shards, "--key", "new", "--key", "old")

    async def scenario() -> dict:
        old_python = python_layer(shards, symmetric_encryption_keys=["old"])
        channel = peer.new_channel()
        await old_python.send(channel, {"type": "from.old"})
        new_python = python_layer(shards, symmetric_encryption_keys=["new"])
        py_channel = await new_python.new_channel()
        assert peer.send(py_channel, {"type": "from.cpp"}) == "ok"
        return await receive(new_python, py_channel)

    assert run(scenario()) == {"type": "from.cpp"}
    assert peer.receive()[1] == {"type": "from.old"}


def test_a_message_under_a_wrong_key_is_dropped_and_counted(shards, make_peer) -> None:
    peer = make_peer(shards, "--key", "right")
    channel = peer.new_channel()

    async def scenario() -> None:
        await python_layer(shards, symmetric_encryption_keys=["wrong"]).send(channel, {"type": "x"})
        await python_layer(shards, symmetric_encryption_keys=["right"]).send(channel, {"type": "after"})

    run(scenario())
    assert peer.receive() == (channel, {"type": "after"})  # still alive and serving
    assert peer.stats()["dropped_undecodable"] == 1
    assert "layer_message_undecodable" in peer.stderr_path.read_text()


@pytest.mark.skipif(CHANNELS_REDIS < (4, 2, 1), reason="serializer_format arrived in channels_redis 4.2.1")
def test_the_json_serializer_format_interoperates(shards, make_peer) -> None:
    peer = make_peer(shards, "--format", "json")
    channel = peer.new_channel()

    async def scenario() -> dict:
        layer = python_layer(shards, serializer_format="json")
        await layer.send(channel, {"type": "j", "n": 1, "f": 1.5, "s": "é", "l": [None, True]})
        py_channel = await layer.new_channel()
        assert peer.send(py_channel, {"type": "j", "n": 2, "nested": {"a": [1.25]}}) == "ok"
        return await receive(layer, py_channel)

    assert run(scenario()) == {"type": "j", "n": 2, "nested": {"a": [1.25]}}
    assert peer.receive() == (channel, {"type": "j", "n": 1, "f": 1.5, "s": "é", "l": [None, True]})
