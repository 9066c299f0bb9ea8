"""One sidecar process runs one channel layer per I/O thread, all on the process's one Redis
queue (docs/channel-layer.md, "one process, one queue"). A chat message sent on one thread
reaches the chat's sockets on the other threads by a hand-over inside the process, not through
Redis: every tab gets it once, the hand-overs are counted on /metrics, and nothing for this
process's sockets comes back from Redis. A group message from Django (real channels_redis) is
one Redis delivery for the whole process, however many threads have the group's sockets."""

from __future__ import annotations

import time
from contextlib import ExitStack
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from chatclient import of_type, send_message, wait_for
from wsclient import greeting, open_socket

TABS = 16  # the kernel spreads them over the I/O threads: all on one thread is 1 in 32,768


def test_a_message_reaches_tabs_on_every_thread_without_going_through_redis(world: Any, sidecar: Any) -> None:
    assert sidecar.config["threads"] >= 2
    url = sidecar.ws_url(f"/ws/chat/{world.chat.pk}/")
    with ExitStack() as stack:
        tabs = [stack.enter_context(open_socket(url, world.cookie(world.bob))) for _ in range(TABS)]
        ann = stack.enter_context(open_socket(url, world.cookie(world.ann)))
        for ws in [*tabs, ann]:
            greeting(ws)
        time.sleep(1.5)  # let every thread publish its counters once more after the greetings
        posts_before = sidecar.metric("tandem_layer_sibling_posts_total")
        received_before = sidecar.metric("tandem_layer_received_total")

        ack = send_message(ann, "across-threads", "hello every tab")
        assert ack["type"] == "ack"
        for ws in tabs:
            message = wait_for(ws, of_type("message"))
            assert (message["body"], message["id"]) == ("hello every tab", ack["id"])

        assert sidecar.metric_above("tandem_layer_sibling_posts_total", posts_before) > posts_before
        time.sleep(1.5)  # both threads' counters published after the deliveries
        assert sidecar.metric("tandem_layer_received_total") == received_before


def test_a_group_message_from_django_is_one_redis_delivery_for_the_whole_process(
    world: Any, sidecar: Any
) -> None:
    assert sidecar.config["threads"] >= 2
    url = sidecar.ws_url(f"/ws/chat/{world.chat.pk}/")
    with ExitStack() as stack:
        tabs = [stack.enter_context(open_socket(url, world.cookie(world.bob))) for _ in range(TABS)]
        for ws in tabs:
            greeting(ws)
        time.sleep(1.5)  # let every thread publish its counters once more after the greetings
        posts_before = sidecar.metric("tandem_layer_sibling_posts_total")
        received_before = sidecar.metric("tandem_layer_received_total")

        event = {"type": "chat.message", "body": "from django", "sender": world.ann.pk}
        async_to_sync(get_channel_layer().group_send)(f"chat_{world.chat.pk}", event)
        for ws in tabs:
            assert wait_for(ws, of_type("message"))["body"] == "from django"

        # One message popped from the process's queue, its other threads' part handed over.
        assert sidecar.metric_above("tandem_layer_sibling_posts_total", posts_before) > posts_before
        time.sleep(1.5)  # both threads' counters published after the deliveries
        assert sidecar.metric("tandem_layer_received_total") == received_before + 1
