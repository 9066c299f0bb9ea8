"""Capacity (ChannelFull; full queues in group_send, whose message Tandem holds back until
there is room) and expiry, with the same numbers as channels_redis."""

from __future__ import annotations

import asyncio
import time

import pytest
from channels.exceptions import ChannelFull
from harness.python_layer import python_layer, run


def test_a_cpp_send_to_a_full_python_channel_reports_channel_full(shards, make_peer) -> None:
    peer = make_peer(shards, "--capacity", "3")
    layer = python_layer(shards, capacity=3)
    channel = run(layer.new_channel())
    assert [peer.send(channel, {"type": "n", "i": i}) for i in range(4)] == ["ok", "ok", "ok", "channel_full"]


def test_both_layers_agree_when_a_channel_is_full(one_shard, make_peer) -> None:
    peer = make_peer(one_shard, "--capacity", "2")
    layer = python_layer(one_shard, capacity=2)

    async def scenario() -> None:
        # Filled by C++: Python's send is refused.
        assert [peer.send("work.a", {"type": "n"}) for _ in range(2)] == ["ok", "ok"]
        with pytest.raises(ChannelFull):
            await layer.send("work.a", {"type": "late"})
        # Filled by Python: the C++ send is refused, and nothing is written.
        await layer.send("work.b", {"type": "n"})
        await layer.send("work.b", {"type": "n"})
        assert peer.send("work.b", {"type": "late"}) == "channel_full"
        assert one_shard[0].client().zcard("asgiwork.b") == 2

    run(scenario())
    assert peer.stats()["send_full"] == 1


def test_channel_capacity_patterns_apply_to_the_full_channel_name(one_shard, make_peer) -> None:
    # One shard: plain channels are spread round-robin over shards, in Python as here.
    peer = make_peer(one_shard, "--capacity", "100", "--channel-capacity", "tandem.slow*=1")
    assert peer.send("tandem.slow.worker", {"type": "a"}) == "ok"
    assert peer.send("tandem.slow.worker", {"type": "b"}) == "channel_full"
    assert peer.send("tandem.fast.worker", {"type": "b"}) == "ok"


def test_group_send_holds_back_for_a_full_queue_and_delivers_once_it_has_room(shards, make_peer) -> None:
    peer = make_peer(shards, "--capacity", "1")
    layer = python_layer(shards, capacity=1)

    async def scenario() -> None:
        full, free = await layer.new_channel(), python_layer(shards, capacity=1)
        free_channel = await free.new_channel()
        await layer.group_add("g", full)
        await layer.group_add("g", free_channel)
        assert peer.send(full, {"type": "first"}) == "ok"
        result = peer.group_send("g", {"type": "second"})
        assert (result["members"], result["over_capacity"]) == (2, 1)
        assert await free.receive(free_channel) == {"type": "second"}
        assert await layer.receive(full) == {"type": "first"}
        # channels_redis would have dropped it; Tandem writes it once the queue has room.
        assert await asyncio.wait_for(layer.receive(full), 30) == {"type": "second"}

    run(scenario())
    assert peer.stats()["group_over_capacity"] == 1


def test_expired_messages_are_not_delivered(one_shard, make_peer) -> None:
    peer = make_peer(one_shard, "--expiry", "2")
    channel = peer.new_channel()
    layer = python_layer(one_shard, expiry=2)
    # A message queued 3 s ago (older than expiry), then a fresh one.
    queue_key = peer.stats()["queue_key"]
    stale = layer.serialize({"type": "stale", "__asgi_channel__": channel})
    one_shard[0].client().zadd(queue_key, {stale: time.time() - 3})
    run(layer.send(channel, {"type": "fresh"}))
    assert peer.receive() == (channel, {"type": "fresh"})
    assert peer.nothing_received()
    assert peer.stats()["dropped_expired"] <= 1  # the send's own trim may have removed it first


def test_expired_group_members_are_removed_by_group_send(one_shard, make_peer) -> None:
    peer = make_peer(one_shard, "--group-expiry", "1")
    layer = python_layer(one_shard, group_expiry=1)
    channel = run(layer.new_channel())
    run(layer.group_add("old", channel))
    time.sleep(2.1)
    assert peer.group_send("old", {"type": "x"})["members"] == 0
    assert one_shard[0].client().zcard("asgi:group:old") == 0


def test_local_memberships_are_refreshed_before_they_expire(one_shard, make_peer) -> None:
    peer = make_peer(one_shard, "--group-expiry", "3", "--group-refresh", "1")
    channel = peer.new_channel()
    assert peer.group_add("long", channel) == "ok"
    time.sleep(4.5)
    run(python_layer(one_shard, group_expiry=3).group_send("long", {"type": "still.here"}))
    assert peer.receive() == (channel, {"type": "still.here"})
