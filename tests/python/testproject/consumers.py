"""The Channels consumer a site runs before Tandem: the baseline that bench/connect_bench.py
measures Daphne + channels_redis with. It does what the sidecar does on connect (session auth,
Origin check by the router, join the user's group, say hello) and forwards notifications."""

from __future__ import annotations

import contextlib
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer


class NotificationsConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=4401)
            return
        self.group = f"user_{user.pk}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        hello = {
            "type": "hello",
            "v": 1,
            "user_id": user.pk,
            "chat_id": None,
            "connection": self.channel_name,
        }
        await self.send_json(hello)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def notification(self, event: dict[str, Any]) -> None:
        await self.send_json(event)


class ChatConsumer(AsyncJsonWebsocketConsumer):
    """The chat consumer a site would write on Channels alone: the messaging baseline of
    bench/messaging_bench.py and bench/run. It stores through the same SQL functions as the
    sidecar (via tandem.messaging, which publishes to the chat group and tells senders their
    ticks through the user's group), acks the sender and applies `delivered`/`read` receipts."""

    async def connect(self) -> None:
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=4401)
            return
        from tandem.groups import user_group

        self.chat_id = int(self.scope["url_route"]["kwargs"]["chat_id"])
        self.group = f"chat_{self.chat_id}"
        self.user_group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.channel_layer.group_add(self.user_group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "v": 1, "user_id": user.pk, "chat_id": self.chat_id})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.channel_layer.group_discard(self.user_group, self.channel_name)

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        from channels.db import database_sync_to_async
        from tandem import events, messaging

        if content.get("type") in ("delivered", "read"):
            import tandem_core

            kind = (
                tandem_core.ReceiptKind.READ
                if content["type"] == "read"
                else tandem_core.ReceiptKind.DELIVERED
            )
            # A bad receipt is dropped (the sidecar answers it with an error frame), never the socket.
            with contextlib.suppress(messaging.MessagingError, KeyError, TypeError, ValueError):
                await database_sync_to_async(messaging.apply_receipt)(
                    chat_id=self.chat_id, user_id=self.scope["user"].pk, kind=kind, upto=int(content["upto"])
                )
            return
        if content.get("type") != "send":
            return
        message, duplicate = await database_sync_to_async(messaging.send_message)(
            chat_id=self.chat_id,
            sender_id=self.scope["user"].pk,
            client_id=content["client_id"],
            body=content["body"],
        )
        await self.send_json(events.ack_frame(message, duplicate))

    async def chat_message(self, event: dict[str, Any]) -> None:
        await self.send_json({**event, "type": "message"})

    async def chat_status(self, event: dict[str, Any]) -> None:
        await self.send_json({**event, "type": "status"})

    async def chat_receipt(self, event: dict[str, Any]) -> None:
        await self.send_json({**event, "type": "receipt"})
