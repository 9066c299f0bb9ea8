"""A drain settles the presence of the users whose last socket was on the drained process: they
are announced offline to their contacts on other processes, and their status rows say so, in
batches (issue 14: one store call per step per batch, not a chain of round trips per user). A
user still connected to another process is neither announced offline nor written offline."""

from __future__ import annotations

import signal

from chatclient import frames_within, wait_for
from test_presence import FAST, inbox, presence_of, tab
from websockets.exceptions import ConnectionClosed
from wsclient import greeting


def close_code(ws) -> int | None:
    """Reads until the server closes the socket; the code it closed with."""
    try:
        while True:
            ws.recv(timeout=10)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


def test_a_drain_announces_its_users_offline_unless_connected_elsewhere(world, make_sidecar) -> None:
    from tandem.models import Chat, UserStatus

    Chat.create_with_members([world.eve, world.bob])  # eve is bob's contact too
    # A grace period longer than the test: only the drain's own settling can take ann offline.
    draining = make_sidecar(**{**FAST, "presence_grace": 60})
    staying = make_sidecar(**FAST)
    with (
        inbox(staying, world.bob) as bob,
        inbox(draining, world.ann) as ann,
        inbox(draining, world.eve) as eve,
    ):
        greeting(bob)
        wait_for(bob, presence_of(world.ann, online=True))
        wait_for(bob, presence_of(world.eve, online=True))
        eve_elsewhere = tab(staying, world.eve)
        draining.process.send_signal(signal.SIGTERM)
        codes = [close_code(ws) for ws in (ann, eve)]
        assert codes == [1012, 1012]
        assert draining.process.wait(timeout=15) == 0
        wait_for(bob, presence_of(world.ann, online=False), timeout=10)
        assert [f for f in frames_within(bob, 1.5) if presence_of(world.eve)(f)] == []
        ann_row = UserStatus.objects.get(user=world.ann)
        assert (ann_row.online, ann_row.connections) == (False, 0)
        assert ann_row.last_seen is not None
        eve_row = UserStatus.objects.get(user=world.eve)
        assert (eve_row.online, eve_row.connections) == (True, 1)
        eve_elsewhere.close()
    assert "event=presence_release_failed" not in draining.log()
