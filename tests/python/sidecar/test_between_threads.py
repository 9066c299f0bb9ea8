"""One sidecar process runs one channel layer per I/O thread. A chat message sent on one thread
reaches the chat's sockets on the other threads by a hand-over inside the process, not through
Redis (docs/channel-layer.md, "one process, one queue"): every tab gets it once, the hand-overs
are counted on /metrics, and nothing for this process's sockets comes back from Redis."""

from __future__ import annotations

import time
from contextlib import ExitStack
from typing import Any

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
