"""The Channels consumer a site runs before Tandem: the baseline that bench/connect_bench.py
measures Daphne + channels_redis with. It does what the sidecar does on connect (session auth,
Origin check by the router, join the user's group, say hello) and forwards notifications."""

from __future__ import annotations

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
        hello = {"type": "hello", "v": 1, "user_id": user.pk, "chat_id": None, "connection": self.channel_name}
        await self.send_json(hello)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def notification(self, event: dict[str, Any]) -> None:
        await self.send_json(event)
