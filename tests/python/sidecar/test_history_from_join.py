"""`history_from_join` (docs/configuration.md): a member who joins later sees, through the socket,
only the messages sent after they joined (their `joined_seq`); without the setting they see the
whole chat. The Django views' side of the same rule is tests/python/django/test_history_from_join_views.py."""

from __future__ import annotations

from chatclient import of_type, send_frame, send_message, wait_for
from tandem.membership import add_member
from test_messaging_lifecycle import chat_url
from wsclient import next_frame, open_socket


def _three_before_and_two_after_cy_joins(world, sidecar, django_user_model):
    cy = django_user_model.objects.create_user("cy", password="pw-cy")
    with open_socket(chat_url(sidecar, world.chat), world.cookie(world.ann)) as ann:
        next_frame(ann)
        for i in range(3):
            send_message(ann, f"before-{i}", "before cy")
        add_member(world.chat, cy)
        for i in range(2):
            send_message(ann, f"after-{i}", "after cy")
    return cy


def _history_and_sync(world, sidecar, user, after: int) -> tuple[dict, dict]:
    with open_socket(chat_url(sidecar, world.chat), world.cookie(user)) as ws:
        next_frame(ws)
        send_frame(ws, "history")
        history = wait_for(ws, of_type("history"))
        send_frame(ws, "sync", after=after)
        sync = wait_for(ws, of_type("sync"))
    return history, sync


def test_a_member_who_joined_later_sees_only_what_was_sent_after(
    world, make_sidecar, django_user_model
) -> None:
    sidecar = make_sidecar(history_from_join=True)
    cy = _three_before_and_two_after_cy_joins(world, sidecar, django_user_model)
    history, sync = _history_and_sync(world, sidecar, cy, after=0)
    assert [m["seq"] for m in history["messages"]] == [4, 5]
    assert not history["has_more"], "nothing older is cy's to page back to"
    assert [m["seq"] for m in sync["messages"]] == [4, 5]
    assert sync["after"] == 3, "the sync says where cy's view starts"
    assert (sync["last_seq"], sync["reload"], sync["more"]) == (5, False, False)

    # A page that ends exactly at the join, and a sync that starts after it, are unchanged.
    with open_socket(chat_url(sidecar, world.chat), world.cookie(cy)) as ws:
        next_frame(ws)
        send_frame(ws, "history", before=5, limit=1)
        page = wait_for(ws, of_type("history"))
        assert ([m["seq"] for m in page["messages"]], page["has_more"]) == ([4], False)
        send_frame(ws, "sync", after=4)
        assert [m["seq"] for m in wait_for(ws, of_type("sync"))["messages"]] == [5]

    # The founding members joined at 0: the setting hides nothing from them.
    history, sync = _history_and_sync(world, sidecar, world.bob, after=0)
    assert [m["seq"] for m in history["messages"]] == [1, 2, 3, 4, 5]
    assert [m["seq"] for m in sync["messages"]] == [1, 2, 3, 4, 5]


def test_by_default_a_member_who_joined_later_sees_the_whole_chat(world, sidecar, django_user_model) -> None:
    cy = _three_before_and_two_after_cy_joins(world, sidecar, django_user_model)
    history, sync = _history_and_sync(world, sidecar, cy, after=0)
    assert [m["seq"] for m in history["messages"]] == [1, 2, 3, 4, 5]
    assert [m["seq"] for m in sync["messages"]] == [1, 2, 3, 4, 5]
    assert sync["after"] == 0
