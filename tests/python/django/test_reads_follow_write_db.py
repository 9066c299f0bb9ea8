"""Without `using=`, Tandem reads where the routers write its models (docs/django.md, "for
reads too"), never from the alias `db_for_read` gives, which may be a lagging replica: a
just-added member must get the chat page, a just-removed one must not see its members' names,
and presence must not leak from a replica to someone the owner has just hidden it from.

The router below sends Tandem's reads to the test project's "chats" alias, standing in for a
replica that has not caught up (it holds stale rows, or none), and its writes to "default"."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone
from tandem.models import Chat, ChatMember, PresenceVisibility, UserSettings, UserStatus

pytestmark = pytest.mark.django_db(databases=["default", "chats"])

PRIMARY = "default"
REPLICA = "chats"
TEMPLATE = Template("{% load tandem %}{% tandem_client_config chat %}")


class ReadsFromALaggingReplica:
    """Tandem's reads to REPLICA, its writes (and everything else) to PRIMARY."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return REPLICA if model._meta.app_label == "tandem" else None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return PRIMARY if model._meta.app_label == "tandem" else None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True


@pytest.fixture
def people(settings: Any) -> dict[str, Any]:
    """ann, bob, eve in both databases under the same ids (the replica's member rows name them);
    the router is installed after they exist."""
    users = {n: get_user_model().objects.create_user(n, password="pw") for n in ("ann", "bob", "eve")}
    for user in users.values():
        user.save(using=REPLICA)
    settings.DATABASE_ROUTERS = [f"{__name__}.ReadsFromALaggingReplica"]
    return users


def stale_copy(chat: Chat, members: list[Any]) -> None:
    """The replica's older view of `chat`: the same id, these members."""
    Chat.objects.using(REPLICA).create(id=chat.pk, title=chat.title, is_group=chat.is_group)
    for user in members:
        ChatMember.objects.using(REPLICA).create(chat_id=chat.pk, user_id=user.pk)


def render_for(user: Any, chat: Chat) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return TEMPLATE.render(Context({"request": request, "chat": chat}))


def test_the_chat_page_checks_membership_on_the_write_database(people) -> None:
    ann, bob, eve = people["ann"], people["bob"], people["eve"]
    chat = Chat.create_with_members([ann, bob], title="pair")  # the router: on PRIMARY
    assert ChatMember.objects.using(PRIMARY).filter(chat_id=chat.pk).count() == 2
    # The replica still has ann alone (bob just added) and eve (just removed).
    stale_copy(chat, [ann, eve])

    page = render_for(bob, chat)
    assert '"title": "pair"' in page
    assert '"bob"' in page
    assert '"ann"' in page
    assert '"eve"' not in page
    with pytest.raises(PermissionDenied, match="not a member"):
        render_for(eve, chat)


def test_the_presence_view_reads_the_write_database(people, client) -> None:
    ann, bob, eve = people["ann"], people["bob"], people["eve"]
    now = timezone.now()
    pair = Chat.create_with_members([ann, bob])
    UserSettings.objects.using(PRIMARY).create(user=bob, presence_visibility=PresenceVisibility.NOBODY)
    UserStatus.objects.using(PRIMARY).create(user=bob, online=True, last_seen=now)
    # The replica: bob has not hidden his presence yet, and shows online.
    stale_copy(pair, [ann, bob])
    UserStatus.objects.using(REPLICA).create(user=bob, online=True, last_seen=now)
    # eve was just added to a chat with ann, who is online: the replica has neither yet.
    Chat.create_with_members([ann, eve])
    UserStatus.objects.using(PRIMARY).create(user=ann, online=True, last_seen=now)

    client.force_login(ann)
    hidden = client.get(f"/tandem/api/users/{bob.pk}/presence/")
    assert hidden.status_code == 403, hidden.content
    assert b"online" not in hidden.content

    client.force_login(eve)
    shown = client.get(f"/tandem/api/users/{ann.pk}/presence/")
    assert shown.status_code == 200, shown.content
    assert shown.json()["users"][0]["online"] is True


def test_the_privacy_view_reads_the_write_database(people, client) -> None:
    ann = people["ann"]
    UserSettings.objects.using(PRIMARY).create(
        user=ann, presence_visibility=PresenceVisibility.NOBODY, read_receipts=False
    )
    UserSettings.objects.using(REPLICA).create(user=ann)  # the defaults, from before the change

    client.force_login(ann)
    assert client.get("/tandem/api/settings/privacy/").json() == {
        "presence_visibility": "nobody",
        "read_receipts": False,
    }
