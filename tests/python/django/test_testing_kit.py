"""tandem.testing, as a site's own tests would use it: what a view published, and a bridge
consumer driven with client frames, without Redis or a sidecar."""

from __future__ import annotations

import json
from typing import Any

import pytest
import tandem_core
from asgiref.sync import async_to_sync
from django.test import override_settings
from tandem.models import Chat
from tandem.testing import BridgeCommunicator, capture_layer_events
from testproject.bridge import EchoBridge, SyncEchoBridge

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.mark.django_db
def test_the_events_a_view_publishes_are_captured(
    django_user_model: Any, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ann = django_user_model.objects.create_user("ann", password="pw")
    bob = django_user_model.objects.create_user("bob", password="pw")
    chat = Chat.create_with_members([ann, bob])
    client.force_login(ann)
    with capture_layer_events() as captured, django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/tandem/api/chats/{chat.pk}/messages/",
            json.dumps({"client_id": "kit-1", "body": "hello"}),
            content_type="application/json",
        )
    assert response.status_code == 201
    (event,) = captured.to(f"chat_{chat.pk}")
    assert (event["type"], event["body"], event["client_id"]) == ("chat.message", "hello", "kit-1")


# A SyncBridgeConsumer runs its handler as channels runs sync consumers: with the database.
@pytest.mark.django_db
@pytest.mark.parametrize("consumer", [EchoBridge, SyncEchoBridge])
@override_settings(CHANNEL_LAYERS=IN_MEMORY)
def test_a_bridge_consumer_answers_the_frames_it_is_sent(consumer: Any) -> None:
    async def scenario() -> None:
        bridge = BridgeCommunicator(consumer, user_id=7, chat_id=3, path="/ws/chat/3/")
        await bridge.send_frame({"type": "echo", "text": "hi"})
        assert await bridge.receive_frame() == {"type": "echo.reply", "text": "hi", "user_id": 7}
        await bridge.send_frame({"type": "no.such", "ref": "r1"})
        refused = await bridge.receive_frame()
        assert (refused["code"], refused["ref"]) == (
            tandem_core.error_name(tandem_core.ErrorCode.UNKNOWN_TYPE),
            "r1",
        )
        assert await bridge.receive_nothing()
        await bridge.stop()

    async_to_sync(scenario)()
