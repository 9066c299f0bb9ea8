"""Presence across sidecar processes: online while any socket of the user lives on any process,
offline after the last one closes (after a grace period, so a reload does not flap) or after
the process holding it is killed with -9; last_seen stored for Django; snapshot on connect;
privacy settings respected, reciprocally."""

from __future__ import annotations

import signal
import time
from contextlib import ExitStack

from chatclient import frames_within, wait_for
from harness.python_layer import python_layer, receive, run
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


async def join_probes(layer, probes: dict[str, str]) -> None:
    """Adds each probe channel to its group, as a Django consumer's group_add would."""
    for group, channel in probes.items():
        await layer.group_add(group, channel)


async def drain_probe(layer, channel: str) -> list[dict]:
    """Every event waiting on `channel` (a second without one ends it)."""
    events = []
    while True:
        try:
            events.append(await receive(layer, channel, timeout=1))
        except TimeoutError:
            return events


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


def test_a_group_hears_an_arrival_through_its_group_and_hidden_members_do_not(
    world, make_sidecar, django_user_model, channel_layer_redis
) -> None:
    """A change reaches group members through one send to the group's channel-layer group (not
    one per member; docs/protocol.md, "Presence"), on every process and on a socket opened on
    the group's page; a member who shows presence to nobody sees nothing of it, and a member who
    changes their setting sees by the new one at once; the user's own sockets are in the group
    too and show nothing of their own."""
    from tandem.models import Chat, PresenceVisibility, UserSettings
    from tandem.privacy import change_privacy

    carl = django_user_model.objects.create_user("carl", password="pw-carl")
    dora = django_user_model.objects.create_user("dora", password="pw-dora")
    group = Chat.create_with_members([world.ann, world.bob, world.eve, carl, dora], title="Group")
    UserSettings.objects.create(user=carl, presence_visibility=PresenceVisibility.NOBODY)
    one, two = make_sidecar(**FAST), make_sidecar(**FAST)
    # Django code listening where channels_redis delivers: the group's group, and Eve's own.
    probes = {f"chat_{group.pk}": "probe-group", f"user_{world.eve.pk}": "probe-eve"}
    run(join_probes(python_layer([channel_layer_redis]), probes))

    def arrival_and_departure(seen_by, unseen_by) -> None:
        with inbox(one, world.ann) as ann:
            greeting(ann)
            for socket in seen_by:
                wait_for(socket, presence_of(world.ann, online=True), timeout=10)
            # Her own socket is in the group too: it shows nothing of her.
            assert [f for f in frames_within(ann, 1.0) if presence_of(world.ann)(f)] == []
        for socket in seen_by:
            wait_for(socket, presence_of(world.ann, online=False), timeout=10)
        for socket in unseen_by:
            assert [f for f in frames_within(socket, 0.5) if presence_of(world.ann)(f)] == []

    with ExitStack() as stack:
        eve = stack.enter_context(inbox(one, world.eve))
        eve_page = stack.enter_context(
            open_socket(one.ws_url(f"/ws/chat/{group.pk}/"), own_session(world.eve))
        )
        dora_there = stack.enter_context(inbox(two, dora))
        carl_socket = stack.enter_context(inbox(one, carl))
        for socket in (eve, eve_page, dora_there, carl_socket):
            greeting(socket)
        arrival_and_departure(seen_by=(eve, eve_page, dora_there), unseen_by=(carl_socket,))

        # Carl shows his again and Dora hides hers: their open sockets follow at once (each is
        # told its own setting, then the presence it may now see or not, in that order).
        change_privacy(carl.pk, presence_visibility=int(PresenceVisibility.EVERYONE))
        wait_for(carl_socket, presence_of(world.eve, online=True), timeout=10)
        change_privacy(dora.pk, presence_visibility=int(PresenceVisibility.NOBODY))
        wait_for(dora_there, lambda f: f["type"] == "presence" and any(u.get("hidden") for u in f["users"]))
        arrival_and_departure(seen_by=(eve, carl_socket), unseen_by=(dora_there,))

    # One send to the group per change; none to Eve in person (she shares only the group).
    to_group = run(drain_probe(python_layer([channel_layer_redis]), "probe-group"))
    about_ann = [(e["type"], e["online"], e["chat"]) for e in to_group if e.get("user") == world.ann.pk]
    assert about_ann == [("presence.members", online, group.pk) for online in (True, False, True, False)]
    to_eve = run(drain_probe(python_layer([channel_layer_redis]), "probe-eve"))
    assert [e for e in to_eve if e.get("user") == world.ann.pk] == []


def test_a_socket_shows_a_group_s_presence_by_its_user_s_stored_setting_not_by_a_stale_event(
    world, make_sidecar, django_user_model, channel_layer_redis
) -> None:
    """The setting a socket shows presence.members by is read from the database: a tandem.privacy
    event is a hint to read it (two changes' events may arrive in either order), and a row
    changed by a plain UPDATE is read at the next recheck (`auth_recheck_interval`)."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer
    from tandem.models import Chat, PresenceVisibility, UserSettings

    carl = django_user_model.objects.create_user("carl", password="pw-carl")
    dora = django_user_model.objects.create_user("dora", password="pw-dora")
    Chat.create_with_members([world.ann, world.bob, world.eve, carl, dora], title="Group")
    UserSettings.objects.create(user=carl, presence_visibility=PresenceVisibility.NOBODY)
    sidecar = make_sidecar(auth_recheck_interval=0.5, **FAST)
    with (
        inbox(sidecar, carl) as carl_socket,
        inbox(sidecar, dora) as dora_socket,
        inbox(sidecar, world.eve) as eve,
    ):
        for socket in (carl_socket, dora_socket, eve):
            greeting(socket)
        # A stale event says Carl shows his to everyone; his row says nobody.
        async_to_sync(get_channel_layer().group_send)(
            f"user_{carl.pk}", {"type": "tandem.privacy", "presence_visibility": "everyone"}
        )
        # Dora hides hers behind the sidecar's back (bulk_create sends no signal: nothing is told).
        UserSettings.objects.bulk_create(
            [UserSettings(user=dora, presence_visibility=PresenceVisibility.NOBODY)]
        )
        time.sleep(2.0)  # a few rechecks
        with inbox(sidecar, world.ann) as ann:
            greeting(ann)
            wait_for(eve, presence_of(world.ann, online=True), timeout=10)
            for socket in (carl_socket, dora_socket):
                assert [f for f in frames_within(socket, 1.0) if presence_of(world.ann)(f)] == []


def test_a_failed_read_of_a_socket_s_own_setting_keeps_the_socket_and_the_next_recheck_reads_again(
    world, make_sidecar, django_user_model, channel_layer_redis
) -> None:
    """A socket whose read of its user's own setting fails (on a tandem.privacy event, or at a
    recheck) stays open; the failure is logged and the next recheck reads the setting again."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer
    from django.db import connection
    from tandem.models import Chat

    carl = django_user_model.objects.create_user("carl", password="pw-carl")
    Chat.create_with_members([world.ann, world.eve, carl], title="Group")
    sidecar = make_sidecar(auth_recheck_interval=0.5, **FAST)

    def rename(old: str, new: str) -> None:
        # The sidecar's prepared statements are planned again after the change and then fail.
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE tandem_usersettings RENAME COLUMN {old} TO {new}")

    with inbox(sidecar, carl) as carl_socket:
        greeting(carl_socket)
        rename("presence_visibility", "presence_visibility_gone")
        try:
            # An event says Carl hides his presence; his socket cannot read his row.
            async_to_sync(get_channel_layer().group_send)(
                f"user_{carl.pk}", {"type": "tandem.privacy", "presence_visibility": "nobody"}
            )
            assert sidecar.wait_for_log("event=postgres_statement_failed sqlstate=42703")
            time.sleep(1.0)  # rechecks meet the error too
        finally:
            rename("presence_visibility_gone", "presence_visibility")
        # His row never said nobody (no row: everyone): a recheck reads it, and Ann's arrival
        # reaches his socket, which lived through the failures.
        time.sleep(1.5)
        with inbox(sidecar, world.ann) as ann:
            greeting(ann)
            wait_for(carl_socket, presence_of(world.ann, online=True), timeout=10)


def test_a_presence_setting_the_sidecar_does_not_know_hides_the_user(world, make_sidecar) -> None:
    """A value of tandem_usersettings.presence_visibility this sidecar does not know (written by
    a newer Django app, or by hand) is read as "nobody", never as "everyone"."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tandem_usersettings (user_id, presence_visibility, read_receipts) VALUES (%s, 7, true)",
            [world.bob.pk],
        )
    sidecar = make_sidecar(**FAST)
    with inbox(sidecar, world.ann) as ann:
        greeting(ann)
        with inbox(sidecar, world.bob) as bob:
            greeting(bob)
            shown = [f for f in frames_within(ann, 1.5) if presence_of(world.bob)(f)]
            assert all(not entry(f, world.bob)["online"] for f in shown), shown
