"""Messaging from Django: the same operations the sidecar offers over sockets (send, receipts,
history, missed messages, message info), for the HTTP fallback views and for site code.

Writes call the SQL functions the sidecar calls (tandem/sql/messaging_v2.sql), and the events
they publish on the channel layer are the sidecar's (tandem.events), so a message sent here
reaches every socket on every sidecar process exactly as one sent over a socket does.

Every function takes `using=` (a database alias); without it, the alias the site's database
routers choose for writing Tandem's models (the default database when no router says
otherwise). Each has an async twin (`asend_message`, ...) for async views and consumers.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import tandem_core
from asgiref.sync import sync_to_async
from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from tandem import events
from tandem.conf import tandem_settings
from tandem.events import StoredMessage
from tandem.groups import chat_group, user_group
from tandem.publishing import publish

logger = logging.getLogger(__name__)


class TandemTransactionWarning(RuntimeWarning):
    """A send inside the caller's transaction holds the chat's row lock until that transaction
    ends: the sidecar's sends to the chat wait, and sends to several chats can deadlock."""


class StoreContractError(RuntimeError):
    """A SQL function answered outside its contract (no row): an internal error, never retried."""


def _in_site_transaction(connection: BaseDatabaseWrapper) -> bool:
    # Test cases wrap each test in atomic blocks of their own; those are not the site's.
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def option(key: str) -> Any:
    return getattr(tandem_settings, key)


class MessagingError(Exception):
    """A request the rules refuse: a typed error code naming the bad field."""

    def __init__(self, code: tandem_core.ErrorCode, field: str = "") -> None:
        super().__init__(f"{tandem_core.error_name(code)}: {field}")
        self.code = code
        self.field = field


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _require_id(
    value: int, field: str, code: tandem_core.ErrorCode = tandem_core.ErrorCode.MESSAGE_ID_INVALID
) -> None:
    """Ids and seqs are bigint in SQL and int64 in the core: a larger number is the caller's
    error (400), not a database failure."""
    if not INT64_MIN <= value <= INT64_MAX:
        raise MessagingError(code, field)


@dataclass(frozen=True)
class ReceiptOutcome:
    changed: bool
    before: tandem_core.ReceiptMarker
    after: tandem_core.ReceiptMarker
    at: int


def to_ms(moment: datetime) -> int:
    # Floor, as the sidecar's SQL does: both sides must print the same millisecond.
    return math.floor(moment.timestamp() * 1000)


def database_for_tandem(using: str | None) -> str:
    """The alias Tandem's SQL runs on: `using` when given, else the one the site's routers pick
    for writing Tandem's models. Reads go there too: history and sync must see the rows a send
    just committed, which a read replica may not have yet."""
    from tandem.models import Message  # here: this module may be imported before the app registry is ready

    return using or router.db_for_write(Message)


def _after_commit(publish_them: Any, using: str) -> None:
    """Publishes once the write is committed, through tandem.publishing: what the layer refuses
    is held and published again once it answers, never raised (the row is stored)."""
    transaction.on_commit(publish_them, using=using, robust=True)


Members = list[tuple[int, tandem_core.ReceiptMarker, bool]]


@dataclass(frozen=True)
class ChatMarkers:
    """Every member's (user, marker, read_receipts setting), as the core's rules take them."""

    members: Members
    last_seq: int
    is_group: bool
    senders_in_range: list[int]  # members who sent messages in the range asked about

    def view_of(self, user_id: int) -> tandem_core.ReceiptMarker:
        return tandem_core.sender_view(self.members, user_id, self.last_seq, self.is_group)


# The sidecar's markers query (sidecar/store/message_store.cpp), row for row. The senders in
# the range are one uncorrelated subquery, read once and hashed: its cost is the range, not
# members x range.
MARKERS_SQL = (
    "SELECT m.user_id, m.delivered_upto, m.read_upto, c.last_seq, c.is_group, "
    "coalesce(s.read_receipts, true), "
    "m.user_id IN (SELECT x.sender_id FROM tandem_message x WHERE x.chat_id = %(chat)s "
    "AND x.seq > %(low)s AND x.seq <= %(high)s) "
    "FROM tandem_chatmember m JOIN tandem_chat c ON c.id = m.chat_id "
    "LEFT JOIN tandem_usersettings s ON s.user_id = m.user_id WHERE m.chat_id = %(chat)s"
)


# MARKERS_SQL for a receipt's news, behind the core's receipt_news_possible gate: while two
# members other than the reader are still at or below its old mark, no sender's tick can move
# and no member's row is read (the gate is a one-time filter that walks the chat's members until
# it finds two). Most receipts of a large group end there. The sidecar's receipt_markers (see
# its comment for the cost), row for row.
RECEIPT_MARKERS_SQL = MARKERS_SQL + (
    " AND NOT ((%(after_d)s::bigint <= %(before_d)s::bigint "
    "OR (SELECT count(*) FROM (SELECT 1 FROM tandem_chatmember b WHERE b.chat_id = %(chat)s::bigint "
    "AND b.user_id <> %(reader)s::bigint AND b.delivered_upto <= %(before_d)s::bigint LIMIT 2) d) >= 2) "
    "AND (%(after_r)s::bigint <= %(before_r)s::bigint "
    "OR (SELECT count(*) FROM (SELECT 1 FROM tandem_chatmember b WHERE b.chat_id = %(chat)s::bigint "
    "AND b.user_id <> %(reader)s::bigint AND b.read_upto <= %(before_r)s::bigint LIMIT 2) r) >= 2))"
)


def _markers_of(rows: list[tuple[Any, ...]]) -> ChatMarkers:
    members = [
        (row[0], tandem_core.ReceiptMarker(delivered_upto=row[1], read_upto=row[2]), row[5]) for row in rows
    ]
    senders = [row[0] for row in rows if row[6]]
    return ChatMarkers(members, rows[0][3] if rows else 0, rows[0][4] if rows else False, senders)


def _receipt_markers(
    chat_id: int, reader: int, before: tandem_core.ReceiptMarker, after: tandem_core.ReceiptMarker, using: str
) -> ChatMarkers:
    """The markers `reader`'s receipt's news needs; no members when no sender's tick can move."""
    params = {
        "chat": chat_id,
        "reader": reader,
        "low": min(before.delivered_upto, before.read_upto),
        "high": max(after.delivered_upto, after.read_upto),
        "before_d": before.delivered_upto,
        "after_d": after.delivered_upto,
        "before_r": before.read_upto,
        "after_r": after.read_upto,
    }
    with connections[using].cursor() as cursor:
        cursor.execute(RECEIPT_MARKERS_SQL, params)
        return _markers_of(cursor.fetchall())


def _markers(chat_id: int, after: int = 0, upto: int = 0, *, using: str | None = None) -> ChatMarkers:
    """Every member's markers and settings; with a seq range, also who sent messages in it."""
    using = database_for_tandem(using)
    with connections[using].cursor() as cursor:
        cursor.execute(MARKERS_SQL, {"chat": chat_id, "low": after, "high": upto})
        rows = cursor.fetchall()
    return _markers_of(rows)


def _member_view(chat_id: int, user_id: int, using: str) -> tuple[tandem_core.ReceiptMarker, int]:
    """The viewer's own messages as the others have them, and the chat's newest seq; refuses
    non-members."""
    markers = _markers(chat_id, using=using)
    if all(member[0] != user_id for member in markers.members):
        raise MessagingError(tandem_core.ErrorCode.FORBIDDEN, "chat")
    return markers.view_of(user_id), markers.last_seq


def _history_start(chat_id: int, user_id: int, using: str) -> int:
    """The seq the user's view of the chat starts after: where they joined with
    TANDEM["history_from_join"] (the sidecar's rule, sidecar/service/messaging.cpp), else 0."""
    if not option("history_from_join"):
        return 0
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT joined_seq FROM tandem_chatmember WHERE chat_id = %s AND user_id = %s", [chat_id, user_id]
        )
        row = cursor.fetchone()
    if row is None:  # left the chat since the membership check
        raise MessagingError(tandem_core.ErrorCode.FORBIDDEN, "chat")
    return int(row[0])


def _rows_to_messages(rows: list[tuple[Any, ...]]) -> list[StoredMessage]:
    return [StoredMessage(r[0], r[1], r[2], r[3], r[4], r[5], to_ms(r[6])) for r in rows]


def _call(using: str, sql: str, params: list[Any], function: str) -> tuple[Any, ...]:
    connection = connections[using]
    if _in_site_transaction(connection):
        warnings.warn(
            f"tandem: {function} inside an atomic block holds the chat's lock until that "
            "transaction ends; call it outside transactions, one chat per transaction (docs/django.md)",
            TandemTransactionWarning,
            stacklevel=3,
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        raise StoreContractError(f"{function} returned no row")
    return row


def send_message(
    *, chat_id: int, sender_id: int, client_id: str, body: str, using: str | None = None
) -> tuple[StoredMessage, bool]:
    """Stores a message (or finds the one this client_id stored in this chat before) and, when
    new, publishes it to the chat's group once committed. Returns (message, duplicate)."""
    using = database_for_tandem(using)
    _require_id(chat_id, "chat", tandem_core.ErrorCode.CHAT_ID_INVALID)
    limits = tandem_core.FrameLimits(max_body_chars=int(option("max_body_chars")))
    error = tandem_core.validate_send(chat_id, client_id, body, limits)
    if error is not None:
        raise MessagingError(error.code, error.field)
    _require_id(sender_id, "sender")
    outcome, message_id, chat, seq, created_at, stored_body = _call(
        using,
        "SELECT outcome, message_id, message_chat, message_seq, message_created_at, message_body "
        "FROM tandem_send_message_v2(%s, %s, %s, %s)",
        [chat_id, sender_id, client_id, body],
        "tandem_send_message_v2",
    )
    if outcome == "forbidden":
        raise MessagingError(tandem_core.ErrorCode.FORBIDDEN, "chat")
    message = StoredMessage(message_id, chat, seq, sender_id, client_id, stored_body, to_ms(created_at))
    duplicate = outcome == "duplicate"
    if not duplicate:
        # After commit: a socket must never hear of a row that a rollback could still undo.
        _after_commit(
            lambda: publish(chat_group(chat), events.chat_message_event(message), lost_chat=chat), using
        )
    return message, duplicate


def apply_receipt(
    *, chat_id: int, user_id: int, kind: tandem_core.ReceiptKind, upto: int, using: str | None = None
) -> ReceiptOutcome:
    """'kind up to seq' for one member: stored once, then the reader's other tabs and the
    senders whose ticks moved are told (nothing is sent for a repeat)."""
    using = database_for_tandem(using)
    _require_id(chat_id, "chat", tandem_core.ErrorCode.CHAT_ID_INVALID)
    _require_id(upto, "upto")
    if upto <= 0:
        raise MessagingError(tandem_core.ErrorCode.MESSAGE_ID_INVALID, "upto")
    outcome, changed, old_d, old_r, new_d, new_r, at = _call(
        using,
        "SELECT outcome, changed, old_delivered, old_read, new_delivered, new_read, receipt_at "
        "FROM tandem_apply_receipt_v2(%s, %s, %s::smallint, %s)",
        [chat_id, user_id, int(kind), upto],
        "tandem_apply_receipt_v2",
    )
    if outcome == "forbidden":
        raise MessagingError(tandem_core.ErrorCode.FORBIDDEN, "chat")
    result = ReceiptOutcome(
        changed,
        tandem_core.ReceiptMarker(delivered_upto=old_d, read_upto=old_r),
        tandem_core.ReceiptMarker(delivered_upto=new_d, read_upto=new_r),
        to_ms(at),
    )
    if changed:
        _after_commit(lambda: _tell(chat_id, user_id, result, using), using)
    return result


def _tell(chat_id: int, reader: int, result: ReceiptOutcome, using: str) -> None:
    before, after = result.before, result.after
    for kind, was, now in (
        (tandem_core.ReceiptKind.DELIVERED, before.delivered_upto, after.delivered_upto),
        (tandem_core.ReceiptKind.READ, before.read_upto, after.read_upto),
    ):
        if now > was:
            publish(user_group(reader), events.chat_receipt_event(chat_id, reader, kind, now, result.at))
    markers = _receipt_markers(chat_id, reader, before, after, using)
    for news in tandem_core.receipt_news(
        markers.members, reader, before, markers.senders_in_range, markers.is_group
    ):
        publish(
            user_group(news.sender_id),
            events.chat_status_event(chat_id, news.kind, news.upto, result.at),
        )


def history(
    *,
    chat_id: int,
    viewer_id: int,
    before: int | None = None,
    limit: int | None = None,
    using: str | None = None,
) -> dict[str, Any]:
    """The history frame: the newest page (or the page before seq `before`), oldest first."""
    using = database_for_tandem(using)
    default = option("history_page") if before is not None else option("history_first_page")
    size = int(limit if limit is not None else default)
    if not 0 < size <= int(option("history_max_page")):
        raise MessagingError(tandem_core.ErrorCode.INVALID_FIELD, "limit")
    _require_id(chat_id, "chat", tandem_core.ErrorCode.CHAT_ID_INVALID)
    if before is not None and not 0 < before <= INT64_MAX:
        raise MessagingError(tandem_core.ErrorCode.MESSAGE_ID_INVALID, "before")
    view, _ = _member_view(chat_id, viewer_id, using)
    start = _history_start(chat_id, viewer_id, using)
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT id, chat_id, seq, sender_id, client_id, body, created_at FROM tandem_message "
            "WHERE chat_id = %s AND seq < %s AND seq > %s ORDER BY seq DESC LIMIT %s",
            [chat_id, before if before is not None else 2**62, start, size + 1],
        )
        rows = cursor.fetchall()
    has_more = len(rows) > size
    messages = _rows_to_messages(list(reversed(rows[:size])))
    return events.history_frame(
        chat=chat_id, before=before, has_more=has_more, messages=messages, viewer=viewer_id, view=view
    )


def missed(*, chat_id: int, viewer_id: int, after: int, using: str | None = None) -> dict[str, Any]:
    """The sync frame for messages after seq `after`: the whole gap, or reload when it is
    larger than sync_max_messages; never a part of it."""
    using = database_for_tandem(using)
    _require_id(chat_id, "chat", tandem_core.ErrorCode.CHAT_ID_INVALID)
    if not 0 <= after <= INT64_MAX:
        raise MessagingError(tandem_core.ErrorCode.MESSAGE_ID_INVALID, "after")
    view, last_seq = _member_view(chat_id, viewer_id, using)
    # Messages from before the viewer joined are not theirs (history_from_join): the gap starts
    # after them, and the frame says so in its `after`.
    after = max(after, _history_start(chat_id, viewer_id, using))
    reload = last_seq - after > int(option("sync_max_messages"))
    messages: list[StoredMessage] = []
    if not reload:
        with connections[using].cursor() as cursor:
            cursor.execute(
                "SELECT id, chat_id, seq, sender_id, client_id, body, created_at FROM tandem_message "
                "WHERE chat_id = %s AND seq > %s AND seq <= %s ORDER BY seq",
                [chat_id, after, last_seq],
            )
            messages = _rows_to_messages(cursor.fetchall())
    return events.sync_frame(
        chat=chat_id,
        after=after,
        last_seq=last_seq,
        more=False,
        reload=reload,
        messages=messages,
        viewer=viewer_id,
        view=view,
    )


def message_info(*, chat_id: int, viewer_id: int, seq: int, using: str | None = None) -> dict[str, Any]:
    """Per-member detail of one message ("message info"): when it reached and was read by each
    other member, from the receipt log (the first advance that covered it). Only the message's
    sender may ask (as WhatsApp, and the client's own menu): other members would learn each
    other's read times."""
    using = database_for_tandem(using)
    _require_id(chat_id, "chat", tandem_core.ErrorCode.CHAT_ID_INVALID)
    _require_id(seq, "seq")
    _member_view(chat_id, viewer_id, using)
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT sender_id FROM tandem_message WHERE chat_id = %s AND seq = %s", [chat_id, seq])
        row = cursor.fetchone()
        if row is None:
            raise MessagingError(tandem_core.ErrorCode.MESSAGE_ID_INVALID, "seq")
        sender = row[0]
        if sender != viewer_id:
            raise MessagingError(tandem_core.ErrorCode.FORBIDDEN, "seq")
        cursor.execute(
            "SELECT m.user_id, "
            "(SELECT min(e.at) FROM tandem_receiptevent e WHERE e.chat_id = m.chat_id AND e.user_id = m.user_id "
            " AND e.kind = 0 AND e.upto_seq >= %s), "
            "(SELECT min(e.at) FROM tandem_receiptevent e WHERE e.chat_id = m.chat_id AND e.user_id = m.user_id "
            " AND e.kind = 1 AND e.upto_seq >= %s) "
            # Members who joined after the message never had it to receive (joined_seq).
            "FROM tandem_chatmember m WHERE m.chat_id = %s AND m.user_id <> %s AND m.joined_seq < %s "
            "ORDER BY m.user_id",
            [seq, seq, chat_id, sender, seq],
        )
        members = [
            {
                "user": user,
                "delivered_at": to_ms(delivered) if delivered else None,
                "read_at": to_ms(read) if read else None,
            }
            for user, delivered, read in cursor.fetchall()
        ]
    markers = _markers(chat_id, using=using)
    status = tandem_core.tick_name(tandem_core.tick_for(markers.view_of(sender), seq))
    # Per-member read times follow the same privacy rule as the ticks.
    settings_of = {user: receipts for user, _, receipts in markers.members}
    for member in members:
        if not tandem_core.read_receipts_shown(
            markers.is_group, settings_of.get(sender, True), settings_of.get(member["user"], True)
        ):
            member["read_at"] = None
    return {
        "type": "message_info",
        "chat": chat_id,
        "seq": seq,
        "sender": sender,
        "status": status,
        "members": members,
    }


def prune_receipt_log(*, older_than: datetime, batch: int = 10_000, using: str | None = None) -> int:
    """Deletes receipt-log rows recorded before `older_than`, in batches so no single statement
    holds many locks; returns how many went. The markers keep every tick right; only "message
    info" loses the times of receipts that old. `manage.py tandem prune` runs it with the
    `receipt_retention` setting."""
    using = database_for_tandem(using)
    deleted = 0
    while True:
        with connections[using].cursor() as cursor:
            cursor.execute(
                "DELETE FROM tandem_receiptevent WHERE id IN "
                "(SELECT id FROM tandem_receiptevent WHERE at < %s LIMIT %s)",
                [older_than, batch],
            )
            deleted += cursor.rowcount
            if cursor.rowcount < batch:
                return deleted


# The same operations for async views and consumers. thread_sensitive: Django's connections
# belong to the thread that opened them, so these share the one sync thread as ORM calls do.
asend_message = sync_to_async(send_message, thread_sensitive=True)
aapply_receipt = sync_to_async(apply_receipt, thread_sensitive=True)
ahistory = sync_to_async(history, thread_sensitive=True)
amissed = sync_to_async(missed, thread_sensitive=True)
amessage_info = sync_to_async(message_info, thread_sensitive=True)
