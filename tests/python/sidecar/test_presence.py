"""Presence across sidecar processes: online while any socket of the user lives on any process,
offline after the last one closes (after a grace period, so a reload does not flap) or after
the process holding it is killed with -9; last_seen stored for Django; snapshot on connect;
privacy settings respected, reciprocally."""

from __future__ import annotations

import signal
import time
from contextlib import ExitStack

from chatclient import frames_within, wait_for
from test_messaging_scale_out import own_session
from wsclient import greeting, open_socket

FAST = {"presence_heartbeat": 0.3, "presence_lease_ttl": 1.5, "presence_grace": 0.5}


def presence_of(user, online: bool | None = None) -> callable:
    """Matches a presence frame about `user` (and, if given, saying this online state)."""

    def match(f: dict) -> bool:
        if f["type"] != "presence":
            return False
        about = [u for u in f["users"] if u["user"] == user.pk]
        return bool(about) and (online is None or about[0]["online"] is online)

    return match


def entry(frame: dict, user) -> dict:
    return next(u for u in frame["users"] if u["user"] == user.pk)


def inbox(sidecar, user):
    return open_socket(sidecar.ws_url("/ws/notifications/"), own_session(user))


def tab(sidecar, user) -> ExitStack:
    """An open notifications socket as a tab the test closes when it likes (close())."""
    stack = ExitStack()
    stack.enter_context(inbox(sidecar, user))
    return stack


def test_online_on_connect_while_any_tab_lives_then_offline_with_last_seen(world, make_sidecar) -> None:
    from tandem.models import UserStatus

    one, two = make_sidecar(**FAST), make_sidecar(**FAST)
    with inbox(one, world.bob) as bob:
        greeting(bob)  # its snapshot, before anything below happens
        tab1 = tab(one, world.ann)
        wait_for(bob, presence_of(world.ann, online=True))
        tab2 = tab(two, world.ann)
        assert UserStatus.objects.get(user=world.ann).online
        tab1.close()
        assert [f for f in frames_within(bob, 1.5) if f["type"] == "presence"] == []  # tab 2 still open
        closed = time.time()
        tab2.close()
        offline = entry(wait_for(bob, presence_of(world.ann, online=False), timeout=5), world.ann)
        assert abs(offline["last_seen"] / 1000 - closed) < 2
        assert offline["text"] == "last seen just now"
    status = UserStatus.objects.get(user=world.ann)
    assert (status.online, status.connections) == (False, 0)
    assert abs(status.last_seen.timestamp() - closed) < 2


def test_a_reload_does_not_announce_offline(world, make_sidecar) -> None:
    sidecar = make_sidecar(**{**FAST, "presence_grace": 2})
    with inbox(sidecar, world.bob) as bob:
        greeting(bob)  # its snapshot, before anything below happens
        first = tab(sidecar, world.ann)
        wait_for(bob, presence_of(world.ann, online=True))
        first.close()
        time.sleep(0.3)  # the page reloads
        with inbox(sidecar, world.ann):
            assert [f for f in frames_within(bob, 3) if f["type"] == "presence"] == []


def test_a_new_socket_gets_a_snapshot_worded_by_the_core(world, make_sidecar) -> None:
    sidecar = make_sidecar(**FAST)
    with inbox(sidecar, world.ann):
        time.sleep(0.3)
        with open_socket(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/?tz=60"), own_session(world.bob)) as bob:
            snapshot = entry(wait_for(bob, presence_of(world.ann)), world.ann)
    assert snapshot == {"user": world.ann.pk, "online": True, "last_seen": None, "text": "Online"}


def test_kill_9_of_the_process_holding_a_user_ends_their_presence(world, make_sidecar) -> None:
    one, two = make_sidecar(**FAST), make_sidecar(**FAST)
    with inbox(two, world.bob) as bob:
        greeting(bob)  # its snapshot, before anything below happens
        ann = tab(one, world.ann)
        wait_for(bob, presence_of(world.ann, online=True))
        killed = time.monotonic()
        one.process.send_signal(signal.SIGKILL)
        one.process.wait()
        wait_for(bob, presence_of(world.ann, online=False), timeout=10)
        took = time.monotonic() - killed
        assert took < FAST["presence_lease_ttl"] + 2
        print(f"\npresence converged {took:.2f} s after kill -9 (lease ttl {FAST['presence_lease_ttl']} s)")
        ann.close()


def test_with_the_default_intervals_kill_9_ends_presence_within_30_seconds(world, make_sidecar) -> None:
    one, two = make_sidecar(), make_sidecar()
    with inbox(two, world.bob) as bob, inbox(one, world.ann):
        wait_for(bob, presence_of(world.ann, online=True))
        killed = time.monotonic()
        one.process.send_signal(signal.SIGKILL)
        one.process.wait()
        wait_for(bob, presence_of(world.ann, online=False), timeout=30)
        took = time.monotonic() - killed
        assert took < 30
        print(f"\npresence converged {took:.2f} s after kill -9 with the default 15 s lease")


def test_presence_follows_the_privacy_settings_reciprocally(world, make_sidecar) -> None:
    from tandem.models import PresenceVisibility, UserSettings

    sidecar = make_sidecar(**FAST)
    UserSettings.objects.create(user=world.ann, presence_visibility=PresenceVisibility.NOBODY)
    with inbox(sidecar, world.bob) as bob:
        greeting(bob)  # its snapshot, before anything below happens
        with inbox(sidecar, world.ann) as ann:
            # Ann hides hers: Bob hears nothing; and hiding hers, she sees no one's.
            assert [f for f in frames_within(bob, 1.0) if presence_of(world.ann)(f)] == []
            assert [f for f in frames_within(ann, 0.5) if f["type"] == "presence" and f["users"]] == []
        UserSettings.objects.filter(user=world.ann).update(presence_visibility=PresenceVisibility.CONTACTS)
        time.sleep(FAST["presence_grace"] + 0.5)  # her offline (told to no one) has settled
        with inbox(sidecar, world.ann):
            # Bob shares a 1:1 chat with her: a contact.
            wait_for(bob, presence_of(world.ann, online=True))
    with inbox(sidecar, world.eve) as eve, inbox(sidecar, world.ann):
        assert [f for f in frames_within(eve, 1.0) if presence_of(world.ann)(f)] == []  # shares no chat
