"""Several sidecar processes on one Redis and one PostgreSQL: users on different processes see
the same lifecycle, and concurrent writers to one chat get distinct, gapless seqs."""

from __future__ import annotations

import threading

from chatclient import of_type, send_frame, send_message, wait_for
from django.test import Client
from wsclient import next_frame, open_socket


def own_session(user) -> str:
    """A session cookie of its own (one test client logging in someone else would end it)."""
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def test_users_on_two_processes_see_the_whole_lifecycle(world, make_sidecar) -> None:
    one, two = make_sidecar(), make_sidecar()
    path = f"/ws/chat/{world.chat.pk}/"
    with (
        open_socket(one.ws_url(path), world.cookie(world.ann)) as ann,
        open_socket(two.ws_url(path), world.cookie(world.ann)) as ann_elsewhere,
        open_socket(two.ws_url(path), world.cookie(world.bob)) as bob,
    ):
        for ws in (ann, ann_elsewhere, bob):
            next_frame(ws)
        ack = send_message(ann, "x-1", "across processes")
        message = wait_for(bob, of_type("message"))
        assert message["id"] == ack["id"]
        send_frame(bob, "read", upto=message["seq"])
        assert wait_for(ann, of_type("status", status="read"))["upto"] == 1
        assert wait_for(ann_elsewhere, of_type("status", status="read"))["upto"] == 1
        reply = send_message(bob, "x-2", "and back")
        assert wait_for(ann, of_type("message", client_id="x-2"))["seq"] == reply["seq"] == 2


def test_concurrent_writers_on_two_processes_get_distinct_increasing_seqs(world, make_sidecar) -> None:
    from tandem.models import Message

    sidecars = [make_sidecar(rate_burst=1000, rate_messages_per_second=1000) for _ in range(2)]
    per_writer = 60
    acks: dict[str, list[int]] = {}

    def write(name: str, url: str, cookie: str) -> None:
        with open_socket(url, cookie) as ws:
            next_frame(ws)
            acks[name] = [send_message(ws, f"{name}-{i}", f"{name} {i}")["seq"] for i in range(per_writer)]

    path = f"/ws/chat/{world.chat.pk}/"
    cookies = {user.pk: own_session(user) for user in (world.ann, world.bob)}
    writers = [
        threading.Thread(target=write, args=(f"w{n}", sidecars[n % 2].ws_url(path), cookies[user.pk]))
        for n, user in enumerate([world.ann, world.bob, world.ann, world.bob])
    ]
    for t in writers:
        t.start()
    for t in writers:
        t.join(timeout=120)
    assert sorted(seq for seqs in acks.values() for seq in seqs) == list(range(1, 4 * per_writer + 1))
    assert all(seqs == sorted(seqs) for seqs in acks.values())  # each writer's own order is kept
    assert Message.objects.filter(chat=world.chat).count() == 4 * per_writer


def test_concurrent_receipts_never_move_a_marker_back(world, make_sidecar) -> None:
    from tandem.models import ChatMember

    sidecars = [make_sidecar(rate_burst=1000, rate_messages_per_second=1000) for _ in range(2)]
    path = f"/ws/chat/{world.chat.pk}/"
    with open_socket(sidecars[0].ws_url(path), world.cookie(world.ann)) as ann:
        next_frame(ann)
        for i in range(30):
            send_message(ann, f"r-{i}", "x")

    bob_cookie = own_session(world.bob)

    def receipts(url: str, order: list[int]) -> None:
        with open_socket(url, bob_cookie) as bob:
            next_frame(bob)
            for upto in order:
                send_frame(bob, "read" if upto % 2 else "delivered", upto=upto)
            send_frame(bob, "ping", ref="done")
            wait_for(bob, of_type("pong"))

    threads = [
        threading.Thread(target=receipts, args=(sidecars[0].ws_url(path), list(range(1, 31)))),
        threading.Thread(target=receipts, args=(sidecars[1].ws_url(path), list(range(30, 0, -1)))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    member = ChatMember.objects.get(chat=world.chat, user=world.bob)
    assert (member.delivered_upto, member.read_upto) == (30, 29)
