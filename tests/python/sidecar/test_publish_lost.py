"""A stored message that will never be published live (the sidecar kept `republish_capacity`
messages through a channel-layer outage and gave up the oldest) is not lost to the sockets that
stayed open: once the layer answers again, every socket of the chat gets `resync` with
`reason: "publish_lost"` and the chat, and its sync brings every acknowledged message. A process
that exits with messages it could not publish leaves as one that died: its presence lease runs
out, and the other processes' sockets get `resync` with `reason: "peer_lost"`."""

from __future__ import annotations

import uuid
from contextlib import contextmanager

from chatclient import of_type, send_message, synced_client_ids, wait_for
from test_messaging_scale_out import own_session
from test_presence import FAST, inbox
from wsclient import greeting, open_socket


@contextmanager
def chat_groups_unreadable(redis):
    """Chat groups cannot be read (a group send's first step): every publish to a chat fails as
    in an outage, while users' groups and Tandem's own keys still work."""
    redis.execute_command(
        "ACL",
        "SETUSER",
        "default",
        "-zremrangebyscore",
        "(+zremrangebyscore ~asgi:group:user_* ~asgispecific.* ~asgitandem*)",
    )
    try:
        yield
    finally:
        redis.execute_command("ACL", "SETUSER", "default", "+@all", "clearselectors")


def test_messages_given_up_during_an_outage_are_brought_by_the_sync_the_hint_asks_for(
    world, make_sidecar, channel_layer_redis
) -> None:
    sidecar = make_sidecar(republish_capacity=1)
    redis = channel_layer_redis.client()
    chat = world.chat.pk
    with (
        open_socket(sidecar.ws_url(f"/ws/chat/{chat}/"), own_session(world.ann)) as ann,
        open_socket(sidecar.ws_url("/ws/notifications/"), own_session(world.bob)) as bob,
    ):
        greeting(ann)
        greeting(bob)
        sent = [f"lost-{n}-{uuid.uuid4().hex[:6]}" for n in range(3)]
        with chat_groups_unreadable(redis):
            for client_id in sent:
                assert send_message(ann, client_id, "during the outage")["type"] == "ack"
            assert sidecar.wait_for_log("republish_given_up")

        for ws in (ann, bob):  # the chat's every socket: its sender's tab too
            hint = wait_for(ws, of_type("resync", reason="publish_lost"), timeout=30)
            assert hint["chat"] == chat
        assert set(sent) <= synced_client_ids(bob, chat, after=0, ref="after-loss")


def test_a_process_that_exits_with_unpublished_messages_leaves_its_lease_to_run_out(
    world, make_sidecar, channel_layer_redis
) -> None:
    settings = {**FAST, "drain_deadline": 1.0}
    one, two = make_sidecar(**settings), make_sidecar(**settings)
    redis = channel_layer_redis.client()
    # Bob listens on the process that stays; Ann sends through the one that exits.
    with inbox(two, world.bob) as bob:
        greeting(bob)
        with open_socket(one.ws_url(f"/ws/chat/{world.chat.pk}/"), own_session(world.ann)) as ann:
            greeting(ann)
            with chat_groups_unreadable(redis):
                assert send_message(ann, "unpublished", "acked, never published")["type"] == "ack"
                assert one.wait_for_log("publish_failed")
                one.stop()
        assert "exit_with_unpublished_messages" in one.log()
        # Released, the lease would never be swept: nothing would tell Bob's socket.
        assert wait_for(bob, of_type("resync", reason="peer_lost"), timeout=30)
