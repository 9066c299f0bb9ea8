"""Groups with Python and C++ members: each member gets each message exactly once, whoever sends."""

from __future__ import annotations

import asyncio

from harness.python_layer import python_layer, receive, run


def test_every_member_of_a_mixed_group_gets_each_message_once(shards, make_peer) -> None:
    peer = make_peer(shards)
    cpp_channels = [peer.new_channel(), peer.new_channel()]

    async def scenario() -> None:
        layer = python_layer(shards)
        py_channels = [await layer.new_channel(), await layer.new_channel()]
        for channel in py_channels:
            await layer.group_add("mixed", channel)
        for channel in cpp_channels:
            assert peer.group_add("mixed", channel) == "ok"

        await layer.group_send("mixed", {"type": "from.python"})
        assert peer.group_send("mixed", {"type": "from.cpp"})["members"] == 4

        for channel in py_channels:
            got = {(await receive(layer, channel))["type"], (await receive(layer, channel))["type"]}
            assert got == {"from.python", "from.cpp"}
            try:
                extra = await asyncio.wait_for(layer.receive(channel), 0.3)
            except TimeoutError:
                extra = None
            assert extra is None

    run(scenario())
    got = sorted((channel, msg["type"]) for channel, msg in (peer.receive() for _ in range(4)))
    assert got == sorted((c, t) for c in cpp_channels for t in ("from.python", "from.cpp"))
    assert peer.nothing_received()


def test_group_keys_and_queues_live_on_the_shards_channels_redis_expects(shards, make_peer) -> None:
    peer = make_peer(shards, "--no-fast-path")
    layer = python_layer(shards)
    groups = [f"g{i}" for i in range(12)]
    channel = peer.new_channel()
    for group in groups:
        assert peer.group_add(group, channel) == "ok"
    for group in groups:
        home = layer.consistent_hash(group)
        for index, server in enumerate(shards):
            assert server.client().exists(f"asgi:group:{group}") == (1 if index == home else 0)
    # A group_send lands in the queue key on the shard hashed from the queue's non-local name.
    queue_key = peer.stats()["queue_key"]
    nonlocal_name = queue_key.removeprefix("asgi")
    peer.request("flush")
    python_channel = run(layer.new_channel())
    run(layer.group_add("g0", python_channel))
    peer.group_send("g0", {"type": "x"})
    queue = "asgi" + python_channel[: python_channel.index("!") + 1]
    home = layer.consistent_hash(python_channel[: python_channel.index("!") + 1])
    assert [s.client().zcard(queue) for s in shards] == [1 if i == home else 0 for i in range(len(shards))]
    assert nonlocal_name.startswith("specific.")
