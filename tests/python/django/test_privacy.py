"""Privacy from Django: settings through the JSON view, and presence as a view shows it, under
the same core rules as the sidecar (reciprocity, contacts = a shared 1:1 chat)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from tandem.models import Chat, PresenceVisibility, UserSettings, UserStatus
from tandem.presence import presence_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(django_user_model: Any) -> dict[str, Any]:
    users = {n: django_user_model.objects.create_user(n, password="pw") for n in ("ann", "bob", "cy")}
    Chat.create_with_members([users["ann"], users["bob"]])  # ann and bob: contacts
    Chat.create_with_members(list(users.values()), title="trio")  # cy only in a group with them
    UserStatus.objects.create(
        user=users["ann"], online=False, last_seen=timezone.now() - timedelta(minutes=5)
    )
    return users


def test_privacy_settings_are_read_and_changed_through_the_view(people, client) -> None:
    client.force_login(people["ann"])
    url = "/tandem/api/settings/privacy/"
    assert client.get(url).json() == {"presence_visibility": "everyone", "read_receipts": True}
    changed = client.post(
        url,
        json.dumps({"presence_visibility": "contacts", "read_receipts": False}),
        content_type="application/json",
    )
    assert changed.json() == {"presence_visibility": "contacts", "read_receipts": False}
    bad = client.post(url, json.dumps({"presence_visibility": "friends"}), content_type="application/json")
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_field"


def test_a_view_words_presence_with_the_cores_rules(people) -> None:
    seen = presence_for(people["bob"].pk, people["ann"].pk, timezone.now())
    assert seen is not None
    assert seen["text"] == "last seen 5 minutes ago"


def test_contacts_only_hides_presence_from_group_acquaintances(people) -> None:
    UserSettings.objects.create(user=people["ann"], presence_visibility=PresenceVisibility.CONTACTS)
    assert presence_for(people["bob"].pk, people["ann"].pk, timezone.now()) is not None
    assert presence_for(people["cy"].pk, people["ann"].pk, timezone.now()) is None


def test_who_hides_their_presence_sees_no_one_elses(people) -> None:
    UserSettings.objects.create(user=people["bob"], presence_visibility=PresenceVisibility.NOBODY)
    assert presence_for(people["bob"].pk, people["ann"].pk, timezone.now()) is None
    assert presence_for(people["ann"].pk, people["bob"].pk, timezone.now()) is None
    assert presence_for(people["bob"].pk, people["bob"].pk, timezone.now()) is not None


def test_last_seen_is_worded_in_the_viewers_time_zone(people, client) -> None:
    from zoneinfo import ZoneInfo

    seen_at = timezone.now() - timedelta(hours=3)
    UserStatus.objects.filter(user=people["ann"]).update(last_seen=seen_at)
    client.force_login(people["bob"])
    url = f"/tandem/api/users/{people['ann'].pk}/presence/"
    tokyo = client.get(url, {"tz": "Asia/Tokyo"}).json()["users"][0]["text"]
    assert seen_at.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M") in tokyo
    assert client.get(url, {"tz": "Mars/Olympus"}).status_code == 400


def test_a_visibility_change_tells_exactly_the_people_it_concerns_after_commit(
    people, client, django_capture_on_commit_callbacks
) -> None:
    """ann → contacts: cy (a group acquaintance) may no longer see ann; bob, a contact, is told
    nothing, and ann's own sockets only learn her new setting (only `nobody` is reciprocal).
    Sent only once committed; then ann → nobody: she no longer sees anyone's (reciprocity), and
    bob no longer sees hers."""
    from tandem.testing import capture_layer_events

    client.force_login(people["ann"])
    url = "/tandem/api/settings/privacy/"
    ann, bob, cy = (people[n].pk for n in ("ann", "bob", "cy"))
    with capture_layer_events() as captured, django_capture_on_commit_callbacks(execute=False) as pending:
        client.post(url, json.dumps({"presence_visibility": "contacts"}), content_type="application/json")
        assert captured.sent == []  # nothing before the commit
    with capture_layer_events() as captured:
        for callback in pending:
            callback()
    hidden = {"type": "presence.update", "online": False, "last_seen": None, "hidden": True}
    assert captured.to(f"user_{cy}") == [{**hidden, "user": ann}]
    own_setting = {"type": "tandem.privacy", "presence_visibility": "contacts"}
    assert captured.to(f"user_{ann}") == [own_setting]  # her sockets show group changes by it
    assert captured.to(f"user_{bob}") == []

    with capture_layer_events() as captured, django_capture_on_commit_callbacks(execute=True):
        client.post(url, json.dumps({"presence_visibility": "nobody"}), content_type="application/json")
    assert captured.to(f"user_{bob}") == [{**hidden, "user": ann}]
    assert captured.to(f"user_{cy}") == []  # already hidden from cy
    to_ann = captured.to(f"user_{ann}")
    assert to_ann[0] == {"type": "tandem.privacy", "presence_visibility": "nobody"}
    assert sorted(e["user"] for e in to_ann[1:]) == [bob, cy]
    assert all(e["hidden"] for e in to_ann[1:])

    with capture_layer_events() as captured, django_capture_on_commit_callbacks(execute=True):
        client.post(url, json.dumps({"presence_visibility": "everyone"}), content_type="application/json")
    shown = captured.to(f"user_{cy}")
    assert [(e["user"], e["online"], "hidden" in e) for e in shown] == [(ann, False, False)]
    assert shown[0]["last_seen"] is not None  # her status row's last seen, for cy to word
    with capture_layer_events() as captured, django_capture_on_commit_callbacks(execute=True):
        client.post(url, json.dumps({"read_receipts": False}), content_type="application/json")
    assert captured.sent == []  # no visibility change: nothing to tell


def test_a_stored_setting_this_build_does_not_know_hides_the_user(people, client) -> None:
    """A presence_visibility value outside PresenceVisibility (a newer app's, or written by
    hand) reads as "nobody", as the sidecar reads it: never "everyone", never a server error."""
    UserSettings.objects.create(user=people["ann"], presence_visibility=7)
    assert presence_for(people["bob"].pk, people["ann"].pk, timezone.now()) is None
    assert presence_for(people["ann"].pk, people["bob"].pk, timezone.now()) is None
    client.force_login(people["ann"])
    shown = client.get("/tandem/api/settings/privacy/")
    assert shown.status_code == 200
    assert shown.json()["presence_visibility"] == "nobody"
