"""Sync while messages keep arriving: the sync fills the whole gap in order, live traffic
continues after it with no gap, and nothing that arrives during the sync is sent twice. (A live
message that reached the socket before the client's sync request is covered again by a sync
from a lower `after`; clients drop message ids they hold, docs/protocol.md.) A gap too large to
send is answered with reload, never in part."""

from __future__ import annotations

import json
import threading
import time

from chatclient import of_type, send_frame, send_message, wait_for
from test_messaging_scale_out import own_session
from wsclient import next_frame, open_socket


def test_a_sync_during_live_traffic_has_no_gap_and_no_duplicate(world, make_sidecar) -> None:
    sidecar = make_sidecar(rate_burst=5000, rate_messages_per_second=5000, sync_page=7)
    path = sidecar.ws_url(f"/ws/chat/{world.chat.pk}/")
    total = 300
    ann_cookie, bob_cookie = own_session(world.ann), own_session(world.bob)
    with open_socket(path, ann_cookie) as ann:
        next_frame(ann)
        for i in range(100):  # what bob missed while away
            send_message(ann, f"before-{i}", "missed")

        def keep_sending() -> None:
            for i in range(100, total):
                send_message(ann, f"during-{i}", "live")

        with open_socket(path, bob_cookie) as bob:
            next_frame(bob)
            writer = threading.Thread(target=keep_sending)
            writer.start()
            time.sleep(0.05)  # the sync's read overlaps live sends
            send_frame(bob, "sync", after=0)  # bob holds nothing of this chat yet
            synced: list[int] = []
            live_before: list[int] = []  # live frames that beat the sync request to the server
            live_after: list[int] = []
            deadline = time.monotonic() + 60
            while len(set(synced + live_before + live_after)) < total and time.monotonic() < deadline:
                frame = json.loads(bob.recv(timeout=20))
                if frame["type"] == "sync":
                    assert not frame["reload"]
                    assert [m["seq"] for m in frame["messages"]] == list(
                        range(frame["after"] + 1, frame["after"] + 1 + len(frame["messages"]))
                    ), "a sync page is contiguous"
                    synced += [m["seq"] for m in frame["messages"]]
                elif frame["type"] == "message":
                    (live_after if synced else live_before).append(frame["seq"])
            writer.join(timeout=60)
    assert synced == list(range(1, len(synced) + 1)), "the sync fills the gap from 1, in order"
    assert len(synced) > 100, "the sync read overlapped live sends"
    assert sorted(set(synced + live_before + live_after)) == list(range(1, total + 1)), "a gap"
    assert not set(live_after) & set(synced), "a live message repeated one the sync sent"
    assert len(live_after) == len(set(live_after)), "a live message twice"
    assert live_after == sorted(live_after)


def test_a_gap_larger_than_the_limit_is_answered_with_reload(world, make_sidecar) -> None:
    sidecar = make_sidecar(rate_burst=1000, sync_max_messages=10)
    path = sidecar.ws_url(f"/ws/chat/{world.chat.pk}/")
    with open_socket(path, world.cookie(world.ann)) as ann:
        next_frame(ann)
        for i in range(15):
            send_message(ann, f"big-{i}", "m")
        send_frame(ann, "sync", after=2)
        reply = wait_for(ann, of_type("sync"))
        assert reply["reload"]
        assert reply["messages"] == []
        assert reply["last_seq"] == 15
        send_frame(ann, "sync", after=6)
        whole = wait_for(ann, of_type("sync"))
        assert [m["seq"] for m in whole["messages"]] == list(range(7, 16))
        assert not whole["reload"]
