"""One chat tab as chat.js behaves through faults, with everything it saw recorded for the audit:
it reconnects (its home process first, then the others), syncs from its highest gapless seq on
every hello and whenever the server sends a resync hint, and resends every unacknowledged
message with the same client_id after a reconnect or a retryable error."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sidecar.chatclient import send_frame
from sidecar.wsclient import open_socket
from websockets.exceptions import ConnectionClosed, WebSocketException

# Errors a client retries with the same client_id after `retry_after`.
RETRYABLE = {"store_unavailable", "layer_unavailable", "rate_limited", "internal"}
# A send with neither ack nor error after this long is sent again (chat.js's core does the same).
ACK_TIMEOUT = 10.0
# A polite client paces its own sends (new ones and resends together) under the server's default
# per-connection rate (20/s, burst 40), so that a resend storm of its own never trips the limiter.
PACE_PER_S = 18.0
PACE_BURST = 20.0
# The server's hint that a socket that stayed open may have missed messages (issue 11, defect 7).
RESYNC_HINT = "resync"


@dataclass
class Outgoing:
    client_id: str
    body: str
    first_sent: float
    last_sent: float = 0.0
    attempts: int = 0
    retry_at: float | None = None


@dataclass
class Ack:
    id: int
    seq: int
    at: float


@dataclass
class Close:
    at: float
    code: int | None
    reason: str


@dataclass
class FaultClient:
    name: str
    user_id: int
    cookie: str
    chat_id: int
    urls: list[str]  # the home process first
    sends: bool = True
    # What the audit reads:
    acks: dict[str, Ack] = field(default_factory=dict)
    ack_conflicts: list[tuple[str, int, int]] = field(default_factory=list)  # one client_id, two ids
    held: dict[int, int] = field(default_factory=dict)  # message id -> seq, after dedup by id
    arrival: dict[int, float] = field(default_factory=dict)
    repeats: int = 0  # frames for an id already held (allowed: dedup by id)
    reordered: int = 0  # live frames with a lower seq than an earlier live frame on that socket
    closes: list[Close] = field(default_factory=list)
    connects: int = 0
    refused_connects: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    offline_seen: list[tuple[float, int]] = field(default_factory=list)
    resync_hints: int = 0
    reloads: int = 0
    ack_timeouts: int = 0
    duplicate_acks: int = 0  # acks of a resend whose first copy had been stored (duplicate: true)

    def __post_init__(self) -> None:
        self.outbox: dict[str, Outgoing] = {}
        self.first_sent: dict[str, float] = {}
        self.gapless = 0
        self._seqs: set[int] = set()
        self._lock = threading.RLock()
        self._ws: Any = None
        self._stopping = False
        self._counter = 0
        self._last_live_seq = 0
        self._pongs: set[str] = set()
        self._drop_next_send = False
        self._tokens = PACE_BURST
        self._tokens_at = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"client-{self.name}", daemon=True)

    # ---- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping = True
        ws = self._ws
        if ws is not None:
            ws.close()
        self._thread.join(timeout=15)

    @property
    def connected(self) -> bool:
        return self._ws is not None

    def _run(self) -> None:
        backoff = 0.1
        attempt = 0
        while not self._stopping:
            url = self.urls[attempt % len(self.urls)]
            attempt += 1
            try:
                connection = open_socket(url, self.cookie)
            except (OSError, WebSocketException, TimeoutError):  # refused, reset or timed out
                self.refused_connects += 1
                time.sleep(backoff)
                backoff = min(backoff * 2, 1.0)
                continue
            backoff, attempt = 0.1, 0
            with connection as ws:
                self._listen(ws)

    def _listen(self, ws: Any) -> None:
        self.connects += 1
        self._last_live_seq = 0
        self._ws = ws
        try:
            while True:
                self._on_frame(json.loads(ws.recv()))
        except ConnectionClosed:
            pass
        finally:
            self._ws = None
            if not self._stopping:
                self.closes.append(Close(time.monotonic(), ws.close_code, ws.close_reason or ""))

    # ---- sending ---------------------------------------------------------------------------

    def _send(self, frame_type: str, **fields: Any) -> bool:
        ws = self._ws
        if ws is None:
            return False
        try:
            send_frame(ws, frame_type, **fields)
            return True
        except (ConnectionClosed, OSError, RuntimeError):
            return False

    def send_new(self, now: float, paced: bool = True) -> None:
        with self._lock:
            self._counter += 1
            item = Outgoing(f"{self.name}-{self._counter}", f"{self.name} says {self._counter}", now)
            self.outbox[item.client_id] = item
            self.first_sent[item.client_id] = now
        if paced:
            self._transmit_paced(item, now)
        else:
            self._transmit(item, now)
        if self._drop_next_send:
            self._drop_next_send = False
            self._cut_socket()

    def send_burst(self, count: int, now: float) -> None:
        """`count` new messages at once (within the server's burst of 40), then a pause of the
        pace, so that the burst stays the only one."""
        for _ in range(count):
            self.send_new(now, paced=False)
        self._tokens, self._tokens_at = 0.0, now

    def _transmit_paced(self, item: Outgoing, now: float) -> None:
        """Transmits now if the pace allows, else leaves the item due for resend_due."""
        self._tokens = min(PACE_BURST, self._tokens + (now - self._tokens_at) * PACE_PER_S)
        self._tokens_at = now
        if self._tokens < 1 or self._ws is None:
            item.retry_at = now + 0.02
            return
        self._tokens -= 1
        self._transmit(item, now)

    def _transmit(self, item: Outgoing, now: float) -> None:
        item.attempts += 1
        item.last_sent = now
        item.retry_at = None
        self._send("send", chat=self.chat_id, client_id=item.client_id, body=item.body)

    def resend_due(self, now: float) -> None:
        """Retries after `retry_after`, and sends that got no answer within ACK_TIMEOUT."""
        if self._ws is None:
            return
        with self._lock:
            due = []
            for item in self.outbox.values():
                if item.retry_at is not None and item.retry_at <= now:
                    due.append(item)
                elif item.retry_at is None and item.last_sent and now - item.last_sent > ACK_TIMEOUT:
                    self.ack_timeouts += 1
                    due.append(item)
        for item in due:
            self._transmit_paced(item, now)

    def drop_after_next_send(self) -> None:
        """The next send is followed at once by a cut socket, before its ack can be read."""
        self._drop_next_send = True

    def _cut_socket(self) -> None:
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(OSError):
                ws.socket.shutdown(socket.SHUT_RDWR)

    def ping(self, timeout: float = 5) -> bool:
        """Whether this socket still answers an application ping."""
        ref = f"live-{self.name}-{time.monotonic_ns()}"
        if not self._send("ping", ref=ref):
            return False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ref in self._pongs:
                return True
            time.sleep(0.02)
        return False

    # ---- receiving -------------------------------------------------------------------------

    def _on_frame(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        now = time.monotonic()
        if kind == "hello":
            self._on_hello()
        elif kind == "message" and frame.get("chat") == self.chat_id:
            if frame["seq"] < self._last_live_seq:
                self.reordered += 1
            self._last_live_seq = max(self._last_live_seq, frame["seq"])
            self._hold(frame, now)
        elif kind == "sync" and frame.get("chat") == self.chat_id:
            if frame.get("reload"):
                self.reloads += 1
            for message in frame.get("messages", []):
                self._hold(message, now)
        elif kind == "ack":
            self._on_ack(frame, now)
        elif kind == "error":
            self._on_error(frame, now)
        elif kind == "presence":
            self.offline_seen += [(now, u["user"]) for u in frame["users"] if not u["online"]]
        elif kind == RESYNC_HINT:
            self.resync_hints += 1
            self._send("sync", chat=self.chat_id, after=self.gapless)
        elif kind == "pong":
            self._pongs.add(frame.get("ref", ""))

    def _on_hello(self) -> None:
        self._send("sync", chat=self.chat_id, after=self.gapless)
        now = time.monotonic()
        with self._lock:
            for item in self.outbox.values():
                item.retry_at = now  # resend_due sends them again, paced

    def _hold(self, message: dict[str, Any], now: float) -> None:
        with self._lock:
            if message["id"] in self.held:
                self.repeats += 1
                return
            self.held[message["id"]] = message["seq"]
            self.arrival[message["id"]] = now
            self._seqs.add(message["seq"])
            while self.gapless + 1 in self._seqs:
                self.gapless += 1

    def _on_ack(self, frame: dict[str, Any], now: float) -> None:
        with self._lock:
            client_id = frame["client_id"]
            earlier = self.acks.get(client_id)
            if earlier is not None and earlier.id != frame["id"]:
                self.ack_conflicts.append((client_id, earlier.id, frame["id"]))
            if earlier is None:
                self.acks[client_id] = Ack(frame["id"], frame["seq"], now)
                self.duplicate_acks += bool(frame.get("duplicate"))
            self.outbox.pop(client_id, None)

    def _on_error(self, frame: dict[str, Any], now: float) -> None:
        self.errors[frame.get("code", "?")] += 1
        with self._lock:
            item = self.outbox.get(frame.get("ref", ""))
            if item is not None and frame.get("code") in RETRYABLE:
                item.retry_at = now + max(float(frame.get("retry_after") or 0.2), 0.05)
