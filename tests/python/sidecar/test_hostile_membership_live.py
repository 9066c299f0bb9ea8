"""Membership enforced live, across two sidecar processes: tandem.membership.remove_member
commits, then tells the user's sockets everywhere; the removed member's chat socket closes
with 4403 and their notifications socket hears nothing of the chat sent after the removal;
add_member brings the chat to an already-open notifications socket; a row deleted by other
code is caught by the periodic re-check."""

from __future__ import annotations

import time
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from chatclient import frames_within, of_type, send_message, wait_for
from hostile import honest_exchange
from test_messaging_scale_out import own_session
from websockets.exceptions import ConnectionClosed
from wsclient import greeting, open_socket


def closed_code(ws, timeout: float = 10) -> int:
    """The close code, reading (and skipping) whatever frames arrive before the close."""
    while True:
        try:
            ws.recv(timeout=timeout)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else 1006


def test_a_removed_member_hears_nothing_after_the_removal_commits(world, make_sidecar) -> None:
    from tandem.membership import add_member, remove_member

    one, two = make_sidecar(), make_sidecar()
    chat_path = f"/ws/chat/{world.chat.pk}/"
    bob_cookie = own_session(world.bob)
    with (
        open_socket(one.ws_url(chat_path), own_session(world.ann)) as ann,
        open_socket(two.ws_url(chat_path), bob_cookie) as bob_chat,
        open_socket(two.ws_url("/ws/notifications/"), bob_cookie) as bob_list,
        open_socket(one.ws_url("/ws/notifications/"), bob_cookie) as bob_list_one,
    ):
        for ws in (ann, bob_chat, bob_list, bob_list_one):
            greeting(ws)
        assert send_message(ann, "before", "before removal")["type"] == "ack"
        wait_for(bob_list, of_type("message", client_id="before"))
        wait_for(bob_list_one, of_type("message", client_id="before"))

        assert remove_member(world.chat, world.bob)
        assert closed_code(bob_chat) == 4403
        after = f"after-{uuid.uuid4().hex[:8]}"
        assert send_message(ann, after, "after removal")["type"] == "ack"
        for ws in (bob_list, bob_list_one):
            heard = [f for f in frames_within(ws, 1.5) if f.get("chat") == world.chat.pk]
            assert heard == [], heard
        async_to_sync(get_channel_layer().group_send)(
            f"user_{world.bob.pk}", {"type": "notification", "text": "x"}
        )
        assert wait_for(bob_list, of_type("notification"))["text"] == "x"  # the socket itself stays

        assert add_member(world.chat, world.bob)
        back = f"back-{uuid.uuid4().hex[:8]}"
        assert send_message(ann, back, "welcome back")["type"] == "ack"
        wait_for(bob_list, of_type("message", client_id=back))
        wait_for(bob_list_one, of_type("message", client_id=back))
    honest_exchange(one, world)


def test_a_membership_row_deleted_by_other_code_closes_the_chat_socket(world, make_sidecar) -> None:
    from tandem.models import ChatMember

    sidecar = make_sidecar(auth_recheck_interval=0.5)
    with open_socket(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/"), own_session(world.bob)) as bob:
        greeting(bob)
        ChatMember.objects.filter(chat=world.chat, user=world.bob).delete()
        assert closed_code(bob) == 4403
    ChatMember.objects.create(chat=world.chat, user=world.bob)
    honest_exchange(sidecar, world)


def test_the_recheck_also_settles_notifications_sockets(world, make_sidecar) -> None:
    """Rows changed by other code (not tandem.membership): within a re-check interval a
    notifications socket stops hearing a chat whose row was deleted, and starts hearing one whose
    row was created, without reconnecting."""
    from tandem.models import ChatMember

    sidecar = make_sidecar(auth_recheck_interval=0.5)
    with (
        open_socket(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/"), own_session(world.ann)) as ann,
        open_socket(sidecar.ws_url("/ws/notifications/"), own_session(world.bob)) as bob_list,
    ):
        greeting(ann)
        greeting(bob_list)
        ChatMember.objects.filter(chat=world.chat, user=world.bob).delete()
        # Each round sends one message and reads for longer than two re-check intervals; once
        # a round is not heard, the socket has left the chat's group.
        for attempt in range(20):
            probe = f"gone-{attempt}-{uuid.uuid4().hex[:6]}"
            assert send_message(ann, probe, "after the row went")["type"] == "ack"
            if not [f for f in frames_within(bob_list, 1.5) if f.get("chat") == world.chat.pk]:
                break
        else:
            raise AssertionError("the notifications socket kept hearing a chat its user left")
        for attempt in range(3):  # and it stays gone
            probe = f"still-gone-{attempt}"
            assert send_message(ann, probe, "still gone")["type"] == "ack"
            assert [f for f in frames_within(bob_list, 1.5) if f.get("chat") == world.chat.pk] == []

        ChatMember.objects.create(chat=world.chat, user=world.bob)
        for attempt in range(20):
            probe = f"back-{attempt}-{uuid.uuid4().hex[:6]}"
            assert send_message(ann, probe, "the row is back")["type"] == "ack"
            if [f for f in frames_within(bob_list, 1.5) if f.get("client_id") == probe]:
                break
        else:
            raise AssertionError("the notifications socket never heard a chat its user joined")
    honest_exchange(sidecar, world)


def test_a_chat_group_a_socket_could_not_join_is_joined_again_at_the_next_recheck(
    world, make_sidecar, channel_layer_redis
) -> None:
    """add_member tells the user's notifications socket to join the chat's group; when Redis
    refuses that join (here by ACL; in life -OOM or a failover's -READONLY), the socket's next
    re-check joins again, so it hears the chat within an interval, not at the next group
    refresh half a day later."""
    from tandem.membership import add_member, remove_member

    sidecar = make_sidecar(auth_recheck_interval=0.5)
    redis = channel_layer_redis.client()
    with (
        open_socket(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/"), own_session(world.ann)) as ann,
        open_socket(sidecar.ws_url("/ws/notifications/"), own_session(world.bob)) as bob_list,
    ):
        greeting(ann)
        greeting(bob_list)
        assert remove_member(world.chat, world.bob)
        time.sleep(1.0)
        # ZADD only on process channels' queues (asgi + specific.<process>!: channels_redis's
        # group_send script) and Tandem's own keys: joining a group (ZADD on asgi:group:...)
        # is refused.
        redis.execute_command("ACL", "SETUSER", "default", "-zadd", "(+zadd ~asgispecific.* ~asgitandem*)")
        try:
            assert add_member(world.chat, world.bob)
            deadline = time.monotonic() + 20
            while "membership_group_change_failed" not in sidecar.log() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert "membership_group_change_failed" in sidecar.log()
        finally:
            redis.execute_command("ACL", "SETUSER", "default", "+@all", "clearselectors")
        for attempt in range(20):
            probe = f"back-{attempt}-{uuid.uuid4().hex[:6]}"
            assert send_message(ann, probe, "the group is joined")["type"] == "ack"
            if [f for f in frames_within(bob_list, 1.5) if f.get("client_id") == probe]:
                break
        else:
            raise AssertionError("the notifications socket never joined the chat's group")
    honest_exchange(sidecar, world)
