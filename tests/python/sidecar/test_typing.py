"""Typing indicators across two sidecar processes: the other participant sees who is typing
(names included, batched), the typist's own tabs never do, typing stops on a sent message, on
stop, and after the server-side expiry when the client vanishes; a keystroke flood is
rate-limited by the core's rule."""

from __future__ import annotations

import time

from chatclient import frames_within, of_type, send_frame, send_message, wait_for
from test_messaging_scale_out import own_session
from wsclient import next_frame, open_socket


def typing_frames(ws, seconds: float) -> list[dict]:
    return [f for f in frames_within(ws, seconds) if f["type"] == "typing"]


def test_the_other_participant_sees_typing_and_the_typists_other_tab_does_not(world, make_sidecar) -> None:
    one, two = make_sidecar(), make_sidecar()
    path = f"/ws/chat/{world.chat.pk}/"
    ann_cookie = own_session(world.ann)
    with (
        open_socket(one.ws_url(path), ann_cookie) as ann,
        open_socket(two.ws_url(path), ann_cookie) as ann_tab2,
        open_socket(two.ws_url(path), own_session(world.bob)) as bob,
    ):
        for ws in (ann, ann_tab2, bob):
            next_frame(ws)
        started = time.monotonic()
        send_frame(ann, "typing", state="start")
        seen = wait_for(bob, of_type("typing"))
        assert time.monotonic() - started < 0.5
        assert seen["users"] == [{"user": world.ann.pk, "name": "ann"}]
        assert seen["text"] == "ann is typing…"
        assert typing_frames(ann_tab2, 0.5) == []
        assert typing_frames(ann, 0.1) == []

        send_message(ann, "t-1", "done typing")
        assert wait_for(bob, of_type("typing"))["users"] == []  # the message ended it


def test_stop_and_the_server_side_expiry_end_typing(world, make_sidecar) -> None:
    sidecar = make_sidecar(typing_expiry=1.0)
    path = sidecar.ws_url(f"/ws/chat/{world.chat.pk}/")
    with open_socket(path, own_session(world.bob)) as bob:
        next_frame(bob)
        with open_socket(path, own_session(world.ann)) as ann:
            next_frame(ann)
            send_frame(ann, "typing", state="start")
            assert wait_for(bob, of_type("typing"))["users"]
            send_frame(ann, "typing", state="stop")
            assert wait_for(bob, of_type("typing"))["users"] == []
            send_frame(ann, "typing", state="start")
            assert wait_for(bob, of_type("typing"))["users"]
            # The client vanishes without a stop: its socket's close stops typing at once.
        assert wait_for(bob, of_type("typing"), timeout=3)["users"] == []


def test_a_silent_client_stops_typing_after_the_expiry(world, make_sidecar) -> None:
    sidecar = make_sidecar(typing_expiry=1.0, typing_start_interval=30)
    path = sidecar.ws_url(f"/ws/chat/{world.chat.pk}/")
    with open_socket(path, own_session(world.ann)) as ann, open_socket(path, own_session(world.bob)) as bob:
        next_frame(ann)
        next_frame(bob)
        send_frame(ann, "typing", state="start")
        assert wait_for(bob, of_type("typing"))["users"]
        started = time.monotonic()
        assert wait_for(bob, of_type("typing"), timeout=5)["users"] == []  # no refresh came
        assert 0.7 < time.monotonic() - started < 2.5


def test_a_keystroke_flood_is_forwarded_at_most_once_per_interval(world, make_sidecar) -> None:
    sidecar = make_sidecar(rate_burst=1000, rate_messages_per_second=1000, typing_start_interval=2)
    path = sidecar.ws_url(f"/ws/chat/{world.chat.pk}/")
    with open_socket(path, own_session(world.ann)) as ann, open_socket(path, own_session(world.bob)) as bob:
        next_frame(ann)
        next_frame(bob)
        for _ in range(200):
            send_frame(ann, "typing", state="start")
        send_frame(ann, "ping", ref="flood-done")
        wait_for(ann, of_type("pong"))
        assert len(typing_frames(bob, 1.0)) == 1
        metrics = sidecar.get("/metrics")[1].splitlines()  # before the close's own stop
        forwards = [line for line in metrics if line.startswith("tandem_typing_forwards")]
        assert forwards == ["tandem_typing_forwards_total 1"]


def test_several_typists_are_batched_into_one_frame_with_their_names(
    world, make_sidecar, django_user_model
) -> None:
    from tandem.models import Chat

    cy = django_user_model.objects.create_user("cy", password="pw-cy")
    group = Chat.create_with_members([world.ann, world.bob, cy], title="trio")
    sidecar = make_sidecar(typing_frame_interval=0.3)
    path = sidecar.ws_url(f"/ws/chat/{group.pk}/")
    with (
        open_socket(path, own_session(world.ann)) as ann,
        open_socket(path, own_session(world.bob)) as bob,
        open_socket(path, own_session(cy)) as cy_ws,
    ):
        for ws in (ann, bob, cy_ws):
            next_frame(ws)
        send_frame(ann, "typing", state="start")
        send_frame(bob, "typing", state="start")
        frames = typing_frames(cy_ws, 1.0)
        assert frames[-1]["users"] == [
            {"user": world.ann.pk, "name": "ann"},
            {"user": world.bob.pk, "name": "bob"},
        ]
        assert frames[-1]["text"] == "ann and bob are typing…"
        assert len(frames) <= 2


def test_a_socket_that_opens_mid_typing_sees_who_is_typing(world, make_sidecar) -> None:
    one, two = make_sidecar(), make_sidecar()
    path = f"/ws/chat/{world.chat.pk}/"
    with open_socket(one.ws_url(path), own_session(world.ann)) as ann:
        next_frame(ann)
        send_frame(ann, "typing", state="start")
        send_frame(ann, "ping", ref="sent")
        wait_for(ann, of_type("pong"))
        time.sleep(0.2)
        with open_socket(two.ws_url(path), own_session(world.bob)) as bob:
            next_frame(bob)
            assert wait_for(bob, of_type("typing"))["users"] == [{"user": world.ann.pk, "name": "ann"}]
