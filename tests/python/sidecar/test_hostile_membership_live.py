"""Membership enforced live, across two sidecar processes: tandem.membership.remove_member
commits, then tells the user's sockets everywhere; the removed member's chat socket closes
with 4403 and their notifications socket hears nothing of the chat sent after the removal;
add_member brings the chat to an already-open notifications socket, which is told to sync the
chat once it has joined the chat's group; a row deleted by other code is caught by the periodic
re-check."""

from __future__ import annotations

import time
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from chatclient import frames_within, of_type, send_message, synced_client_ids, wait_for
from hostile import honest_exchange
from quiet_rows import delete_member_row_by_sql, insert_member_row_quietly
from test_messaging_scale_out import own_session
from test_presence import inbox
from websockets.exceptions import ConnectionClosed
from wsclient import greeting, open_socket


def closed_code(ws, timeout: float = 10) -> int:
    """The close code, reading (and skipping) whatever frames arrive before the close."""
    while True:
        try:
            ws.recv(timeout=timeout)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else 1006


def catches_up_on_joining(ws, chat: int, client_id: str, timeout: float = 20) -> None:
    """What a client does on the `chat_joined` hint: it syncs the chat, and `client_id`, sent
    after the user became a member, is there (its live copy may have reached the chat's group
    before this socket's join did, and then never came)."""
    assert wait_for(ws, of_type("resync", chat=chat), timeout)["reason"] == "chat_joined"
    assert client_id in synced_client_ids(ws, chat, after=0, ref=f"joined-{uuid.uuid4().hex[:6]}")


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
        # The list sockets' client is told, so a view of the chat stops offering to send.
        for ws in (bob_list, bob_list_one):
            assert wait_for(ws, of_type("membership", chat=world.chat.pk))["member"] is False
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
        # Sent at once: the sockets' joins may land after it is published (they wait behind the
        # tandem.membership event), so its live copy may miss them; the hint that follows each
        # join brings it.
        back = f"back-{uuid.uuid4().hex[:8]}"
        assert send_message(ann, back, "welcome back")["type"] == "ack"
        for ws in (bob_list, bob_list_one):
            assert wait_for(ws, of_type("membership", chat=world.chat.pk))["member"] is True
            catches_up_on_joining(ws, world.chat.pk, back)
        later = f"later-{uuid.uuid4().hex[:8]}"  # and, once joined, the chat comes live
        assert send_message(ann, later, "after the join")["type"] == "ack"
        wait_for(bob_list, of_type("message", client_id=later))
        wait_for(bob_list_one, of_type("message", client_id=later))
    honest_exchange(one, world)


def test_a_new_chat_reaches_its_members_open_notifications_sockets_at_once(world, make_sidecar) -> None:
    """Chat.create_with_members tells every member's open sockets, as add_member does: a chat
    created while they are online (a group made by someone else, a first 1:1 message) is
    heard live at once, not after the next membership re-check (a minute by default)."""
    from tandem.models import Chat

    one, two = make_sidecar(), make_sidecar()
    with inbox(one, world.ann) as ann, inbox(two, world.bob) as bob, inbox(one, world.eve) as eve:
        for ws in (ann, bob, eve):
            greeting(ws)
        group = Chat.create_with_members([world.ann, world.bob, world.eve], title="new", is_group=True)
        for ws in (ann, bob, eve):
            assert wait_for(ws, of_type("resync", chat=group.pk), 10)["reason"] == "chat_joined"
        first = f"first-{uuid.uuid4().hex[:8]}"
        with open_socket(two.ws_url(f"/ws/chat/{group.pk}/"), own_session(world.ann)) as ann_chat:
            greeting(ann_chat)
            assert send_message(ann_chat, first, "hello, new group")["type"] == "ack"
        for ws in (bob, eve):
            assert wait_for(ws, of_type("message", client_id=first), 10)["chat"] == group.pk


def test_a_membership_row_deleted_by_other_code_closes_the_chat_socket(world, make_sidecar) -> None:
    sidecar = make_sidecar(auth_recheck_interval=0.5)
    with open_socket(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/"), own_session(world.bob)) as bob:
        greeting(bob)
        delete_member_row_by_sql(world.chat, world.bob)
        assert closed_code(bob) == 4403
    insert_member_row_quietly(world.chat, world.bob)
    honest_exchange(sidecar, world)


def test_the_recheck_also_settles_notifications_sockets(world, make_sidecar) -> None:
    """Rows changed by other code (raw SQL, bulk_create: no signal): within a re-check interval a
    notifications socket stops hearing a chat whose row was deleted, and starts hearing one whose
    row was created, without reconnecting."""
    sidecar = make_sidecar(auth_recheck_interval=0.5)
    with (
        open_socket(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/"), own_session(world.ann)) as ann,
        open_socket(sidecar.ws_url("/ws/notifications/"), own_session(world.bob)) as bob_list,
    ):
        greeting(ann)
        greeting(bob_list)
        delete_member_row_by_sql(world.chat, world.bob)
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

        insert_member_row_quietly(world.chat, world.bob)
        # Sent before the re-check can have seen the row: never live to this socket, brought by
        # the sync the join's hint asks for.
        before_join = f"before-join-{uuid.uuid4().hex[:6]}"
        assert send_message(ann, before_join, "the row is back")["type"] == "ack"
        catches_up_on_joining(bob_list, world.chat.pk, before_join)
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
            assert sidecar.wait_for_log("membership_group_change_failed")
            # Sent while the socket is out of the group: no live copy reaches it, ever.
            unheard = f"unheard-{uuid.uuid4().hex[:6]}"
            assert send_message(ann, unheard, "while the join was refused")["type"] == "ack"
        finally:
            redis.execute_command("ACL", "SETUSER", "default", "+@all", "clearselectors")
        catches_up_on_joining(bob_list, world.chat.pk, unheard)
        for attempt in range(20):
            probe = f"back-{attempt}-{uuid.uuid4().hex[:6]}"
            assert send_message(ann, probe, "the group is joined")["type"] == "ack"
            if [f for f in frames_within(bob_list, 1.5) if f.get("client_id") == probe]:
                break
        else:
            raise AssertionError("the notifications socket never joined the chat's group")
    honest_exchange(sidecar, world)
