"""What Django publishes while the channel layer refuses it (a Redis outage, a failover) is not lost
to the open sockets: a message sent through the HTTP views is held by the Django process and
reaches the sockets once the layer answers; one given up beyond `republish_capacity` ends in the
sidecar's `resync` hint (`reason: "publish_lost"`), whose sync brings it; and a member added
meanwhile is told, once the layer answers, instead of `add_member` raising after its commit.
Redis refuses the group sends through its ACL (channels_redis's `group_send` starts with
ZREMRANGEBYSCORE on the group), for Django and the sidecar alike."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chatclient import of_type, synced_client_ids, wait_for
from tandem.publishing import republisher
from test_messaging_http import api, post_json
from wsclient import greeting, open_socket

DEADLINE_S = 60.0


@contextmanager
def group_sends_refused(redis: Any) -> Iterator[None]:
    redis.execute_command("ACL", "SETUSER", "default", "-zremrangebyscore")
    try:
        yield
    finally:
        redis.execute_command("ACL", "SETUSER", "default", "+@all")


def until_nothing_held() -> None:
    deadline = time.monotonic() + DEADLINE_S
    while republisher.waiting() != (0, []):
        assert time.monotonic() < deadline, republisher.waiting()
        time.sleep(0.05)


def test_a_message_sent_over_http_during_an_outage_reaches_the_sockets_once_the_layer_answers(
    world, sidecar, client, channel_layer_redis
) -> None:
    redis = channel_layer_redis.client()
    with open_socket(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/"), world.cookie(world.bob)) as bob:
        greeting(bob)
        client.force_login(world.ann)
        with group_sends_refused(redis):
            sent = [f"held-{n}-{uuid.uuid4().hex[:6]}" for n in range(3)]
            for client_id in sent:
                response = post_json(client, api(world.chat), {"client_id": client_id, "body": "held"})
                assert response.status_code == 201  # stored: the sender is told so
            assert republisher.waiting()[0] == len(sent)
        # In the order they were stored, each once.
        arrived = [wait_for(bob, of_type("message"), timeout=30)["client_id"] for _ in sent]
        assert arrived == sent
        until_nothing_held()
        assert republisher.given_up == 0


def test_messages_django_gave_up_end_in_a_publish_lost_hint_whose_sync_brings_them(
    world, sidecar, client, channel_layer_redis, settings
) -> None:
    settings.TANDEM = {**getattr(settings, "TANDEM", {}), "republish_capacity": 1}
    redis = channel_layer_redis.client()
    chat = world.chat.pk
    given_up_before = republisher.given_up
    with open_socket(sidecar.ws_url("/ws/notifications/"), world.cookie(world.bob)) as bob:
        greeting(bob)
        client.force_login(world.ann)
        sent = [f"lost-{n}-{uuid.uuid4().hex[:6]}" for n in range(3)]
        with group_sends_refused(redis):
            for client_id in sent:
                response = post_json(client, api(world.chat), {"client_id": client_id, "body": "given up"})
                assert response.status_code == 201
            assert republisher.given_up - given_up_before == 2
        hint = wait_for(bob, of_type("resync", reason="publish_lost"), timeout=30)
        assert hint["chat"] == chat
        assert set(sent) <= synced_client_ids(bob, chat, after=0, ref="after-loss")
        until_nothing_held()


def test_a_member_added_during_an_outage_is_told_once_the_layer_answers(
    world, sidecar, channel_layer_redis
) -> None:
    from tandem.membership import add_member
    from tandem.models import Chat

    redis = channel_layer_redis.client()
    group = Chat.create_with_members([world.ann], title="outage", is_group=True)
    with open_socket(sidecar.ws_url("/ws/notifications/"), world.cookie(world.bob)) as bob:
        greeting(bob)
        with group_sends_refused(redis):
            # Stored, and said so: the layer's refusal after the commit is not the caller's error.
            assert add_member(group, world.bob) is True
        joined = wait_for(bob, of_type("resync", reason="chat_joined"), timeout=30)
        assert joined["chat"] == group.pk
        until_nothing_held()
