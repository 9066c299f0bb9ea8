"""Base classes for the bridge worker: Python handlers for client frames the sidecar forwards
(docs/protocol.md, "The bridge"), run with `python manage.py runworker tandem.bridge`."""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from typing import Any

import tandem_core
from asgiref.sync import async_to_sync
from channels.consumer import AsyncConsumer, SyncConsumer

logger = logging.getLogger("tandem.bridge")


@dataclass(frozen=True)
class FrameContext:
    """Who sent a frame and where the answer goes."""

    user_id: int
    chat_id: int | None
    path: str
    reply_channel: str
    frame: dict[str, Any]

    @property
    def ref(self) -> str | int | None:
        """What error frames echo back: the client's `client_id`, else its `ref`."""
        ref = self.frame.get("client_id", self.frame.get("ref"))
        # bool is an int in Python but never a meaningful reference.
        return ref if isinstance(ref, str | int) and not isinstance(ref, bool) else None


def context_from_event(event: dict[str, Any]) -> FrameContext:
    """The context of a `tandem.client_frame` event; KeyError/TypeError when it is malformed."""
    frame = event["frame"]
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise TypeError("frame must be an object with a string type")
    reply_channel = event["reply_channel"]
    if not isinstance(reply_channel, str) or not reply_channel:
        raise TypeError("reply_channel must be a channel name")
    chat_id = event.get("chat_id")
    return FrameContext(
        user_id=int(event["user_id"]),
        chat_id=None if chat_id is None else int(chat_id),
        path=str(event.get("path", "")),
        reply_channel=reply_channel,
        frame=frame,
    )


def error_frame(
    code: tandem_core.ErrorCode, ref: str | int | None, message: str | None = None
) -> dict[str, Any]:
    """An `error` frame worded as the sidecar words its own (same names, numbers, sentences)."""
    frame: dict[str, Any] = {
        "type": "error",
        "code": tandem_core.error_name(code),
        "number": int(code),
        "message": message or tandem_core.error_message(code),
    }
    if ref is not None:
        frame["ref"] = ref
    return frame


def reply_event(frame: dict[str, Any]) -> dict[str, Any]:
    """The layer event that the sidecar turns into exactly this frame on one socket."""
    return {"type": "tandem.frame", "frame": frame}


MAX_LOGGED_TYPE = 64  # characters of a frame's type kept in a log line


def loggable_type(frame: object) -> str:
    """A frame's type as a log line may show it: the client chose it, so it is cut short and
    escaped (repr), so it can neither flood the log nor start a forged line."""
    kind = frame.get("type") if isinstance(frame, dict) else None
    if not isinstance(kind, str):
        return "?"
    shown = repr(kind[:MAX_LOGGED_TYPE])
    return shown + "…" if len(kind) > MAX_LOGGED_TYPE else shown


def _failure_site(error: BaseException) -> str:
    """Where a handler failed (exception class, file:line, function), without the exception's
    text or the traceback's values: both may hold the client's frame (a message body)."""
    frames = traceback.extract_tb(error.__traceback__)
    site = f" at {frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name}" if frames else ""
    return type(error).__name__ + site


def _log_handler_failure(context: FrameContext, error: BaseException) -> None:
    # Only the frame's type and the user: never the frame, the exception text or a traceback
    # (issue 12, defect 8); the site is enough to find the bug, the client got `internal`.
    logger.error(
        "event=bridge_handler_failed type=%s user=%s error=%s",
        loggable_type(context.frame),
        context.user_id,
        _failure_site(error),
    )


def _parse(event: dict[str, Any]) -> FrameContext | None:
    try:
        return context_from_event(event)
    except (KeyError, TypeError, ValueError) as error:
        # Without a valid reply channel there is no one to answer; the sidecar never sends this.
        # The event holds the client's frame: only its type and the user are logged.
        user = event.get("user_id") if isinstance(event, dict) else None
        logger.error(
            "event=bridge_event_malformed type=%s user=%s error=%s (malformed tandem.client_frame dropped)",
            loggable_type(event.get("frame") if isinstance(event, dict) else None),
            user if isinstance(user, int) and not isinstance(user, bool) else "?",
            type(error).__name__,
        )
        return None


class BridgeConsumer(AsyncConsumer):
    """Override `handle_frame`; answer with `reply` (any number of times, or not at all)."""

    async def tandem_client_frame(self, event: dict[str, Any]) -> None:
        context = _parse(event)
        if context is None:
            return
        try:
            await self.handle_frame(context.frame, context)
        except Exception as error:  # noqa: BLE001 (any handler bug is answered `internal`)
            # One failing frame must not kill the worker's consumer instance; the client hears
            # a generic `internal` error, never the exception text (it may hold private data).
            _log_handler_failure(context, error)
            await self.reply(context, error_frame(tandem_core.ErrorCode.INTERNAL, context.ref))

    async def handle_frame(self, frame: dict[str, Any], context: FrameContext) -> None:
        """Handles one client frame; the default answers `unknown_type` as the sidecar would."""
        await self.reply(context, error_frame(tandem_core.ErrorCode.UNKNOWN_TYPE, context.ref))

    async def reply(self, context: FrameContext, frame: dict[str, Any]) -> None:
        """Sends `frame` to the socket the client frame came from."""
        await self.channel_layer.send(context.reply_channel, reply_event(frame))

    async def reply_error(
        self, context: FrameContext, code: tandem_core.ErrorCode, message: str | None = None
    ) -> None:
        """Answers with an `error` frame (e.g. INVALID_FIELD) that echoes the client's ref."""
        await self.reply(context, error_frame(code, context.ref, message))


class SyncBridgeConsumer(SyncConsumer):
    """The same contract for synchronous handlers (run in a thread, free to use the ORM)."""

    def tandem_client_frame(self, event: dict[str, Any]) -> None:
        context = _parse(event)
        if context is None:
            return
        try:
            self.handle_frame(context.frame, context)
        except Exception as error:  # noqa: BLE001 (any handler bug is answered `internal`)
            _log_handler_failure(context, error)
            self.reply(context, error_frame(tandem_core.ErrorCode.INTERNAL, context.ref))

    def handle_frame(self, frame: dict[str, Any], context: FrameContext) -> None:
        """Handles one client frame; the default answers `unknown_type` as the sidecar would."""
        self.reply(context, error_frame(tandem_core.ErrorCode.UNKNOWN_TYPE, context.ref))

    def reply(self, context: FrameContext, frame: dict[str, Any]) -> None:
        """Sends `frame` to the socket the client frame came from."""
        async_to_sync(self.channel_layer.send)(context.reply_channel, reply_event(frame))

    def reply_error(
        self, context: FrameContext, code: tandem_core.ErrorCode, message: str | None = None
    ) -> None:
        """Answers with an `error` frame (e.g. INVALID_FIELD) that echoes the client's ref."""
        self.reply(context, error_frame(code, context.ref, message))
