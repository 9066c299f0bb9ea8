"""One chat user in the topology test: a thread that keeps one `/ws/notifications/` socket
through the load balancer and sends into its chats in turn, behaving as the browser client does.
A message is resent with the same client_id until acked; after any close (1012 from a drain, or
a dead TCP connection from kill -9) it reconnects at once, retrying until a process answers,
then syncs each chat from the highest seq it holds with nothing missing below. Everything it
saw is recorded for the audit."""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

ORIGIN = "http://localhost"
RETRYABLE = {"store_unavailable", "layer_unavailable", "rate_limited"}


@dataclass
class Outage:
    """One lost connection: how it ended and how long until `hello` on the next one."""

    close_code: int | None
    closed_at: float
    back_after_s: float = float("nan")


@dataclass
class Record:
    acked: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # client_id -> (chat, id, seq)
    seen: dict[int, dict[int, int]] = field(default_factory=dict)  # chat -> seq -> message id
    live_duplicates: int = 0  # one message id delivered live twice on one connection
    live_duplicate_ids: set[int] = field(default_factory=set)
    # Ids acked `duplicate: true` (a resend of a stored message): published again, on purpose
    # (docs/protocol.md: the first attempt may never have been published), so they may repeat.
    duplicate_acked_ids: set[int] = field(default_factory=set)
    outages: list[Outage] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    resends: int = 0
    before_hello: list[str] = field(default_factory=list)  # frame types that arrived before hello


class ChatUser(threading.Thread):
    def __init__(
        self, name: str, user_id: int, cookie: str, url: str, chats: list[int], pace_s: float
    ) -> None:
        super().__init__(name=f"chat-user-{name}", daemon=True)
        self.user_name = name
        self.user_id = user_id
        self.cookie = cookie
        self.url = url
        self.chats = chats
        self.pace_s = pace_s
        self.record = Record()
        self.stopping = threading.Event()
        self.failure: Exception | None = None
        self.ws: ClientConnection | None = None
        self.live_ids: set[int] = set()

    # -- connection ---------------------------------------------------------------------------

    def open(self, give_up_after_s: float = 30) -> None:
        """Connects through the load balancer until a process says hello."""
        deadline = time.monotonic() + give_up_after_s
        while True:
            try:
                # entered as a context manager (websockets 17 wants that); closed by close()
                self.ws = connect(
                    self.url,
                    additional_headers={"Cookie": f"sessionid={self.cookie}"},
                    origin=ORIGIN,
                    open_timeout=5,
                ).__enter__()
                self.live_ids = set()
                # docs/protocol.md promises hello first; frames that beat it are kept and counted
                # (a finding, see the test's report) rather than failing the whole run.
                while (frame := self.next_frame(timeout=10))["type"] != "hello":
                    self.record.before_hello.append(frame["type"])
                return
            except (OSError, InvalidStatus, ConnectionClosed, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def reconnect(self, closed: ConnectionClosed | OSError | TimeoutError) -> None:
        code = closed.rcvd.code if isinstance(closed, ConnectionClosed) and closed.rcvd else None
        outage = Outage(code, time.monotonic())
        self.record.outages.append(outage)
        while True:  # the process that answered may itself go away during the catch-up
            if self.ws is not None:
                self.ws.close()
            self.open()
            if math.isnan(outage.back_after_s):
                outage.back_after_s = time.monotonic() - outage.closed_at
            try:
                for chat in self.chats:
                    self.sync(chat)
                return
            except (ConnectionClosed, OSError, TimeoutError):
                continue

    # -- frames -------------------------------------------------------------------------------

    def highest_gapless_seq(self, chat: int) -> int:
        seqs = self.record.seen.get(chat, {})
        seq = 0
        while seq + 1 in seqs:
            seq += 1
        return seq

    def note_message(self, message: dict[str, Any]) -> None:
        self.record.seen.setdefault(message["chat"], {})[message["seq"]] = message["id"]

    def handle(self, frame: dict[str, Any]) -> None:
        if frame["type"] == "message":
            if frame["id"] in self.live_ids:
                self.record.live_duplicates += 1
                self.record.live_duplicate_ids.add(frame["id"])
            self.live_ids.add(frame["id"])
            self.note_message(frame)
        elif frame["type"] == "sync":
            for message in frame["messages"]:
                self.note_message(message)

    def next_frame(self, timeout: float) -> dict[str, Any]:
        assert self.ws is not None
        frame = json.loads(self.ws.recv(timeout=timeout))
        self.handle(frame)
        return frame

    def sync(self, chat: int) -> None:
        """Asks for everything after the highest gapless seq and reads every page."""
        assert self.ws is not None
        self.ws.send(json.dumps({"type": "sync", "chat": chat, "after": self.highest_gapless_seq(chat)}))
        while True:
            frame = self.next_frame(timeout=15)
            if frame["type"] == "sync" and frame["chat"] == chat and not frame["more"]:
                assert not frame["reload"], frame
                return
            if frame["type"] == "error":
                self.record.errors.append(frame)
                time.sleep(frame.get("retry_after", 0.2))
                self.ws.send(
                    json.dumps({"type": "sync", "chat": chat, "after": self.highest_gapless_seq(chat)})
                )

    def send_until_acked(self, chat: int, client_id: str) -> None:
        body = f"{self.user_name} says {client_id}"
        attempts = 0
        while True:
            try:
                assert self.ws is not None
                if attempts:
                    self.record.resends += 1
                attempts += 1
                self.ws.send(json.dumps({"type": "send", "chat": chat, "client_id": client_id, "body": body}))
                while True:
                    frame = self.next_frame(timeout=15)
                    if frame["type"] == "ack" and frame["client_id"] == client_id:
                        self.record.acked[client_id] = (chat, frame["id"], frame["seq"])
                        if frame.get("duplicate"):
                            self.record.duplicate_acked_ids.add(frame["id"])
                        return
                    if frame["type"] == "error" and frame.get("ref") == client_id:
                        self.record.errors.append(frame)
                        assert frame["code"] in RETRYABLE, frame
                        time.sleep(frame.get("retry_after", 0.2))
                        break  # resend
            except (ConnectionClosed, OSError, TimeoutError) as closed:
                self.reconnect(closed)

    def idle(self, seconds: float) -> None:
        """Reads whatever arrives for `seconds`, reconnecting if the socket goes."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                self.next_frame(timeout=left)
            except TimeoutError:
                return
            except (ConnectionClosed, OSError) as closed:
                self.reconnect(closed)

    # -- the thread ---------------------------------------------------------------------------

    def run(self) -> None:
        try:
            self.open()
            sent = 0
            while not self.stopping.is_set():
                chat = self.chats[sent % len(self.chats)]
                self.send_until_acked(chat, f"{self.user_name}-{sent}")
                sent += 1
                self.idle(self.pace_s)
            self.catch_up()
        except Exception as failure:  # noqa: BLE001 (any failure is reported by the test, which joins the thread)
            self.failure = failure

    def catch_up(self) -> None:
        """Syncs every chat, as a client does before showing it."""
        try:
            for chat in self.chats:
                self.sync(chat)
        except (ConnectionClosed, OSError, TimeoutError) as closed:
            self.reconnect(closed)  # which syncs every chat again

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
