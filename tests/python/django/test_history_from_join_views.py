"""`TANDEM["history_from_join"]` in the Django views (the HTTP fallback of `history` and `sync`):
a member who joins later gets only the messages sent after they joined, as the sidecar answers
them (tests/python/sidecar/test_history_from_join.py); without the setting, the whole chat."""

from __future__ import annotations

from typing import Any

import pytest
from tandem import messaging, publishing
from tandem.membership import add_member
from tandem.models import Chat

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    """About what the views read back; publishing is covered end to end elsewhere."""
    monkeypatch.setattr(publishing, "_layer_send", lambda group, event: None)


@pytest.fixture
def cy_joined_after_three(django_user_model: Any) -> tuple[Chat, Any, Any]:
    ann, bob, cy = (django_user_model.objects.create_user(n, password="pw") for n in ("ann", "bob", "cy"))
    chat = Chat.create_with_members([ann, bob])
    for i in range(3):
        messaging.send_message(chat_id=chat.pk, sender_id=ann.pk, client_id=f"b{i}", body="before cy")
    add_member(chat, cy)
    for i in range(2):
        messaging.send_message(chat_id=chat.pk, sender_id=ann.pk, client_id=f"a{i}", body="after cy")
    return chat, bob, cy


def seqs(frame: dict[str, Any]) -> list[int]:
    return [m["seq"] for m in frame["messages"]]


def test_a_member_who_joined_later_reads_only_what_was_sent_after(
    cy_joined_after_three, client: Any, settings: Any
) -> None:
    settings.TANDEM = {"history_from_join": True}
    chat, bob, cy = cy_joined_after_three
    client.force_login(cy)
    url = f"/tandem/api/chats/{chat.pk}/messages/"
    history = client.get(url).json()
    assert (seqs(history), history["has_more"]) == ([4, 5], False)
    page = client.get(url, {"before": 5, "limit": 1}).json()
    assert (seqs(page), page["has_more"]) == ([4], False)
    assert seqs(client.get(url, {"before": 4}).json()) == []
    sync = client.get(url, {"after": 0}).json()
    assert (seqs(sync), sync["after"], sync["reload"]) == ([4, 5], 3, False)
    assert seqs(client.get(url, {"after": 4}).json()) == [5]
    # A founding member joined at 0: nothing is hidden from them.
    client.force_login(bob)
    assert seqs(client.get(url).json()) == [1, 2, 3, 4, 5]
    assert seqs(client.get(url, {"after": 0}).json()) == [1, 2, 3, 4, 5]


def test_the_gap_that_decides_reload_starts_at_the_join(cy_joined_after_three, settings: Any) -> None:
    chat, _, cy = cy_joined_after_three
    settings.TANDEM = {"history_from_join": True, "sync_max_messages": 2}
    sync = messaging.missed(chat_id=chat.pk, viewer_id=cy.pk, after=0)
    assert (seqs(sync), sync["reload"]) == ([4, 5], False)


def test_by_default_a_member_who_joined_later_reads_the_whole_chat(
    cy_joined_after_three, client: Any
) -> None:
    chat, _, cy = cy_joined_after_three
    client.force_login(cy)
    url = f"/tandem/api/chats/{chat.pk}/messages/"
    assert seqs(client.get(url).json()) == [1, 2, 3, 4, 5]
    sync = client.get(url, {"after": 0}).json()
    assert (seqs(sync), sync["after"]) == ([1, 2, 3, 4, 5], 0)
