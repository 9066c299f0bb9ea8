"""Privacy changes reach other people live (issue 12 defect 10, issue 15): a user who changes
`presence_visibility` through the Django view is hidden from, or shown to, the people the
change concerns at once, on their open sockets (the header of a chat page, the chat list), on
every sidecar process, without a reconnect; and, the setting being reciprocal, the user's own
sockets stop (or start) showing everyone else's."""

from __future__ import annotations

import json

from chatclient import frames_within, wait_for
from test_messaging_scale_out import own_session
from test_presence import FAST, entry, presence_of
from wsclient import greeting, open_socket


def hidden(user):
    """A presence frame telling the viewer to forget `user`'s presence."""
    return lambda f: presence_of(user)(f) and entry(f, user).get("hidden") is True


def shown(user):
    """A presence frame showing `user`'s presence (not a hidden entry)."""
    return lambda f: presence_of(user)(f) and "hidden" not in entry(f, user)


def choose(client, user, visibility: str) -> None:
    client.force_login(user)
    answer = client.post(
        "/tandem/api/settings/privacy/",
        json.dumps({"presence_visibility": visibility}),
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content


def test_a_privacy_change_reaches_open_sockets_at_once(world, make_sidecar, client) -> None:
    one, two = make_sidecar(**FAST), make_sidecar(**FAST)
    bob_cookie = own_session(world.bob)
    with (
        open_socket(one.ws_url("/ws/notifications/"), own_session(world.ann)) as ann,
        open_socket(two.ws_url(f"/ws/chat/{world.chat.pk}/?tz=60"), bob_cookie) as bob_chat,
        open_socket(one.ws_url("/ws/notifications/"), bob_cookie) as bob_list,
    ):
        for ws in (ann, bob_chat, bob_list):
            greeting(ws)  # hello and the snapshot: ann and bob see each other

        choose(client, world.ann, "nobody")
        for ws in (bob_chat, bob_list):  # on both processes, within moments
            gone = entry(wait_for(ws, hidden(world.ann), timeout=5), world.ann)
            assert gone == {
                "user": world.ann.pk,
                "online": False,
                "last_seen": None,
                "text": "",
                "hidden": True,
            }
        # Reciprocal: ann, hiding hers, no longer sees bob's.
        wait_for(ann, hidden(world.bob), timeout=5)

        choose(client, world.ann, "everyone")
        for ws in (bob_chat, bob_list):
            back = entry(wait_for(ws, shown(world.ann), timeout=5), world.ann)
            assert (back["online"], back["text"]) == (True, "Online")
        assert entry(wait_for(ann, shown(world.bob), timeout=5), world.bob)["online"] is True

        # A save that changes nothing tells nobody anything.
        choose(client, world.ann, "everyone")
        assert [f for f in frames_within(bob_list, 1.0) if presence_of(world.ann)(f)] == []


def test_contacts_only_hides_from_group_acquaintances_but_not_from_contacts(
    world, make_sidecar, client
) -> None:
    from tandem.models import Chat

    Chat.create_with_members([world.ann, world.bob, world.eve], title="trio", is_group=True)
    sidecar = make_sidecar(**FAST)
    with (
        open_socket(sidecar.ws_url("/ws/notifications/"), own_session(world.ann)) as ann,
        open_socket(sidecar.ws_url("/ws/notifications/"), own_session(world.bob)) as bob,
        open_socket(sidecar.ws_url("/ws/notifications/"), own_session(world.eve)) as eve,
    ):
        for ws in (ann, bob, eve):
            greeting(ws)
        frames_within(bob, 0.5)  # eve coming online
        choose(client, world.ann, "contacts")
        wait_for(eve, hidden(world.ann), timeout=5)
        # Bob shares a 1:1 chat with ann: he still sees her, and is told nothing new.
        assert [f for f in frames_within(bob, 1.0) if presence_of(world.ann)(f)] == []
