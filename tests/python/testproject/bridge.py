"""Example bridge consumers: what a site's `runworker tandem.bridge` would run."""

from __future__ import annotations

import os
from typing import Any

from tandem.bridge import BridgeConsumer, FrameContext, SyncBridgeConsumer


class EchoBridge(BridgeConsumer):
    """Answers {"type": "echo", "text": ...} with the text and the sender's user id."""

    async def handle_frame(self, frame: dict[str, Any], context: FrameContext) -> None:
        if frame["type"] == "echo":
            await self.reply(
                context, {"type": "echo.reply", "text": frame.get("text"), "user_id": context.user_id}
            )
        elif frame["type"] == "whoami":
            # Which worker process answered: several workers share the bridge channel.
            await self.reply(context, {"type": "whoami.reply", "ref": frame.get("ref"), "pid": os.getpid()})
        elif frame["type"] == "explode":
            # Lets the tests see what a crashing handler looks like to the client.
            raise RuntimeError("the example handler failed on purpose")
        else:
            await super().handle_frame(frame, context)


class SyncEchoBridge(SyncBridgeConsumer):
    """The same echo for sites whose handlers are synchronous (ORM calls without wrappers)."""

    def handle_frame(self, frame: dict[str, Any], context: FrameContext) -> None:
        if frame["type"] == "echo":
            self.reply(context, {"type": "echo.reply", "text": frame.get("text"), "user_id": context.user_id})
        elif frame["type"] == "explode":
            raise RuntimeError("the example handler failed on purpose")
        else:
            super().handle_frame(frame, context)
