"""Hostile input: one user flooding the bridge. Bridge frames are rate-limited per user over all
their sockets on a process (rate_limited with retry_after and the frame's ref), so another
user's bridge frames still reach the bridge channel."""

from __future__ import annotations

import json

from harness.python_layer import python_layer, receive, run
from hostile import honest_exchange
from test_messaging_scale_out import own_session
from wsclient import frame_of_type, greeting, open_socket


def test_one_users_bridge_flood_is_limited_and_others_still_reach_the_bridge(
    world, make_sidecar, channel_layer_redis
) -> None:
    # One token per 20 s: no token comes back while the burst is spent, however slow the build
    # (the ASan run under load took over 2 s between the first and the fourth frame).
    sidecar = make_sidecar(bridge_rate_per_second=0.05, bridge_burst=3)
    url = sidecar.ws_url("/ws/notifications/")
    ann_cookie = own_session(world.ann)
    with open_socket(url, ann_cookie) as tab1, open_socket(url, ann_cookie) as tab2, open_socket(url, own_session(world.bob)) as bob:
        for ws in (tab1, tab2, bob):
            greeting(ws)
        layer = python_layer([channel_layer_redis])

        async def burst_reached_the_bridge() -> set[str]:
            refs: set[str] = set()
            while len(refs) < 3:
                event = await receive(layer, "tandem.bridge", timeout=10)
                if event["user_id"] == world.ann.pk:
                    refs.add(event["frame"]["ref"])
            return refs

        for n in range(3):  # the burst, spent from two tabs
            (tab1 if n % 2 else tab2).send(json.dumps({"type": "zz", "ref": f"a{n}"}))
        # The two tabs' frames are read concurrently: wait until all three took their token, or
        # tab1's "over" could be read before tab2's last one and the refusal go to tab2.
        assert run(burst_reached_the_bridge()) == {"a0", "a1", "a2"}
        tab1.send(json.dumps({"type": "zz", "ref": "over"}))
        refused = frame_of_type(tab1, "error")
        assert (refused["code"], refused["ref"]) == ("rate_limited", "over")
        assert 0 < refused["retry_after"] <= 20

        async def drain_and_find_bob() -> dict:
            fresh = python_layer([channel_layer_redis])  # run() closed the first one's pools
            while True:
                event = await receive(fresh, "tandem.bridge", timeout=10)
                if event["user_id"] == world.bob.pk:
                    return event

        bob.send(json.dumps({"type": "zz", "ref": "bob"}))
        assert run(drain_and_find_bob())["frame"]["ref"] == "bob"
    honest_exchange(sidecar, world)
