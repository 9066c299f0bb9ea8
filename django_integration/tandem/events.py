"""The messaging frames and channel-layer events, shaped exactly as the sidecar shapes them
(sidecar/protocol/chat_frames.cpp; both are checked against tests/fixtures/protocol), so a
message sent through Django's HTTP views looks the same on every socket as one sent over a
socket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import tandem_core


@dataclass(frozen=True)
class StoredMessage:
    id: int
    chat: int
    seq: int
    sender: int
    client_id: str
    body: str
    created_at: int  # milliseconds since the epoch


def receipt_kind_name(kind: tandem_core.ReceiptKind) -> str:
    return "read" if kind == tandem_core.ReceiptKind.READ else "delivered"


def message_object(
    m: StoredMessage, viewer: int | None = None, view: tandem_core.ReceiptMarker | None = None
) -> dict[str, Any]:
    """A message as frames show it; for the viewer's own messages, with their status."""
    out: dict[str, Any] = {
        "id": m.id,
        "chat": m.chat,
        "seq": m.seq,
        "sender": m.sender,
        "client_id": m.client_id,
        "body": m.body,
        "created_at": m.created_at,
    }
    if viewer is not None and view is not None and m.sender == viewer:
        out["status"] = tandem_core.tick_name(tandem_core.tick_for(view, m.seq))
    return out


def ack_frame(m: StoredMessage, duplicate: bool) -> dict[str, Any]:
    return {
        "type": "ack",
        "client_id": m.client_id,
        "chat": m.chat,
        "id": m.id,
        "seq": m.seq,
        "created_at": m.created_at,
        "status": "sent",
        "duplicate": duplicate,
    }


def chat_message_event(m: StoredMessage) -> dict[str, Any]:
    return {"type": "chat.message", **message_object(m)}


def chat_status_event(chat: int, kind: tandem_core.ReceiptKind, upto: int, at: int) -> dict[str, Any]:
    return {"type": "chat.status", "chat": chat, "status": receipt_kind_name(kind), "upto": upto, "at": at}


def chat_publish_lost_event(chat: int) -> dict[str, Any]:
    """A stored message of `chat` will never be published live: every socket of the chat is
    told to sync it (docs/protocol.md, `resync`)."""
    return {
        "type": "tandem.frame",
        "chat": chat,
        "frame": {"type": "resync", "reason": "publish_lost", "chat": chat},
    }


def chat_receipt_event(
    chat: int, user: int, kind: tandem_core.ReceiptKind, upto: int, at: int
) -> dict[str, Any]:
    return {
        "type": "chat.receipt",
        "chat": chat,
        "user": user,
        "kind": receipt_kind_name(kind),
        "upto": upto,
        "at": at,
    }


def receipts_object(view: tandem_core.ReceiptMarker) -> dict[str, int]:
    return {"delivered_upto": view.delivered_upto, "read_upto": view.read_upto}


def sync_frame(
    *,
    chat: int,
    after: int,
    last_seq: int,
    more: bool,
    reload: bool,
    messages: list[StoredMessage],
    viewer: int,
    view: tandem_core.ReceiptMarker,
) -> dict[str, Any]:
    return {
        "type": "sync",
        "chat": chat,
        "after": after,
        "last_seq": last_seq,
        "more": more,
        "reload": reload,
        "receipts": receipts_object(view),
        "messages": [message_object(m, viewer, view) for m in messages],
    }


def history_frame(
    *,
    chat: int,
    before: int | None,
    has_more: bool,
    messages: list[StoredMessage],
    viewer: int,
    view: tandem_core.ReceiptMarker,
) -> dict[str, Any]:
    return {
        "type": "history",
        "chat": chat,
        "before": before,
        "has_more": has_more,
        "receipts": receipts_object(view),
        "messages": [message_object(m, viewer, view) for m in messages],
    }
