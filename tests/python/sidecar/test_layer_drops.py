"""What the channel layer could not hand to a socket is counted on /metrics by reason, as
docs/channel-layer.md ("Counters") promises: a message for a channel of this process that no
socket holds, a member of the process's queue that does not decode, and one older than the layer
expiry. Each is written as anyone with access to Redis could: by channels_redis's own `send`, or
straight into the process's queue. None of them costs the sockets that are there anything."""

from __future__ import annotations

import time
from typing import Any

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from chatclient import of_type, wait_for
from wsclient import greeting, open_socket

REASONS = ("expired", "undecodable", "unknown_channel", "delivery_failed")


def dropped(sidecar: Any, reason: str) -> float:
    return sidecar.metric(f'tandem_layer_received_dropped_total{{reason="{reason}"}}')


def test_messages_that_reach_no_socket_are_counted_by_reason(
    world: Any, sidecar: Any, channel_layer_redis: Any
) -> None:
    store = redis.Redis.from_url(channel_layer_redis.url)
    layer = get_channel_layer()
    with open_socket(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/"), world.cookie(world.bob)) as bob:
        greeting(bob)
        # The socket's channel, from the chat's group: "specific.<process prefix>!<thread>.<hex>".
        (member,) = store.zrange(f"{layer.prefix}:group:chat_{world.chat.pk}", 0, -1)
        process_part = member.decode().split("!", 1)[0] + "!"
        queue = f"{layer.prefix}{process_part}"  # channels_redis puts no separator before a channel
        time.sleep(1.5)  # every thread has published its counters once more
        before = {reason: dropped(sidecar, reason) for reason in REASONS}

        # A channel of this process that no socket holds (one closed since it was looked up).
        async_to_sync(layer.send)(f"{process_part}0.{'0' * 12}", {"type": "chat.message", "body": "nobody"})
        # A member that is not a channels_redis message, and one queued an hour ago (far past the
        # layer expiry: its sender gave up long ago).
        store.zadd(queue, {b"\xc1" * 32: time.time()})
        store.zadd(queue, {b"queued an hour ago, never read": time.time() - 3600})

        for reason in ("unknown_channel", "undecodable", "expired"):
            assert sidecar.metric_above(
                f'tandem_layer_received_dropped_total{{reason="{reason}"}}', before[reason]
            ) == (before[reason] + 1), reason
        assert dropped(sidecar, "delivery_failed") == before["delivery_failed"]
        assert "event=layer_message_undecodable" in sidecar.log()

        # The socket that is there still gets what is meant for it.
        async_to_sync(layer.group_send)(
            f"chat_{world.chat.pk}", {"type": "chat.message", "body": "still here", "sender": world.ann.pk}
        )
        assert wait_for(bob, of_type("message"))["body"] == "still here"


def test_a_message_that_expired_in_the_queue_makes_the_socket_it_was_for_sync(
    world: Any, sidecar: Any, channel_layer_redis: Any
) -> None:
    """Dropped as expired (its sender gave up long ago), but a stored message it may announce would
    never reach that open socket: the socket is told to sync (`resync`, `delivery_dropped`)."""
    store = redis.Redis.from_url(channel_layer_redis.url)
    layer = get_channel_layer()
    with open_socket(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/"), world.cookie(world.bob)) as bob:
        greeting(bob)
        (member,) = store.zrange(f"{layer.prefix}:group:chat_{world.chat.pk}", 0, -1)
        channel = member.decode()
        queue = f"{layer.prefix}{channel.split('!', 1)[0]}!"
        before = sidecar.metric("tandem_layer_missed_told_total")
        late = {"type": "chat.message", "body": "an hour late", "__asgi_channel__": [channel]}
        store.zadd(queue, {layer.serialize(late): time.time() - 3600})
        hint = wait_for(bob, of_type("resync", reason="delivery_dropped"), timeout=30)
        assert "chat" not in hint  # every chat the client shows
        assert sidecar.metric_above("tandem_layer_missed_told_total", before) == before + 1


def test_the_layer_traffic_counters_named_in_the_docs_are_exported(sidecar: Any) -> None:
    for family in (
        "tandem_layer_sent_total",
        "tandem_layer_received_total",
        "tandem_layer_group_sends_total",
        "tandem_layer_send_full_total",
        "tandem_layer_local_deliveries_total",
        "tandem_layer_sibling_posts_total",
        "tandem_layer_sibling_received_total",
        "tandem_layer_group_over_capacity_total",
        "tandem_layer_pending_dropped_total",
        "tandem_layer_pending_messages",
        "tandem_layer_missed_told_total",
        "tandem_redis_commands_total",
    ):
        assert sidecar.metric(family) >= 0
    assert sidecar.metric_above("tandem_redis_commands_total", 0) > 0  # at least its blocking pops
