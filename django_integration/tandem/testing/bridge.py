"""Drives a `tandem.bridge.BridgeConsumer` (or `SyncBridgeConsumer`) subclass the way the
sidecar does: client frames arrive as `tandem.client_frame` events, answers leave on the reply
channel as `tandem.frame` events. Needs a channel layer (an in-memory one is enough)."""

from __future__ import annotations

import asyncio
from typing import Any

from channels.consumer import AsyncConsumer, SyncConsumer
from channels.layers import get_channel_layer
from channels.testing import ApplicationCommunicator


class BridgeCommunicator:
    """`await send_frame({...})`, then `await receive_frame()` for each answer; `await stop()`."""

    def __init__(
        self,
        consumer: type[AsyncConsumer | SyncConsumer],
        *,
        user_id: int,
        chat_id: int | None = None,
        path: str = "/ws/notifications/",
        channel: str = "tandem.bridge",
    ) -> None:
        self.user_id, self.chat_id, self.path = user_id, chat_id, path
        self.layer = get_channel_layer()
        if self.layer is None:
            raise RuntimeError(
                "BridgeCommunicator needs CHANNEL_LAYERS (channels.layers.InMemoryChannelLayer will do)"
            )
        self.app = ApplicationCommunicator(consumer.as_asgi(), {"type": "channel", "channel": channel})
        self.reply_channel: str | None = None

    async def send_frame(self, frame: dict[str, Any]) -> None:
        if self.reply_channel is None:
            self.reply_channel = await self.layer.new_channel("tandem.test.reply")
        await self.app.send_input(
            {
                "type": "tandem.client_frame",
                "frame": frame,
                "user_id": self.user_id,
                "chat_id": self.chat_id,
                "path": self.path,
                "reply_channel": self.reply_channel,
            }
        )

    async def receive_frame(self, timeout: float = 5) -> dict[str, Any]:
        """The next frame the consumer answered with, as the socket would receive it."""
        if self.reply_channel is None:
            raise RuntimeError("send a frame first")
        event = await asyncio.wait_for(self.layer.receive(self.reply_channel), timeout)
        if event.get("type") != "tandem.frame":
            raise AssertionError(f"the consumer sent {event!r}, not a tandem.frame event")
        return event["frame"]

    async def receive_nothing(self, timeout: float = 0.2) -> bool:
        """True when no answer arrives within `timeout`."""
        try:
            await self.receive_frame(timeout)
        except TimeoutError:
            return True
        return False

    async def stop(self) -> None:
        """Cancels the consumer task (and lets the loop run its cancellation)."""
        self.app.stop(exceptions=False)
        await asyncio.sleep(0)
