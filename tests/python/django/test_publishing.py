"""tandem.publishing's republisher against a layer that fails on demand: what it refuses is held
and published again in order (per group) once it answers, later publishes to a group wait behind
its held ones while other groups are not held up, the oldest beyond the capacity is given up and
its chat told `publish_lost` (again if another loss comes while that hint is on its way), and
nothing ever raises to the caller (the row is stored by then). End to end, with Redis refusing the sends and real
sockets: tests/python/sidecar/test_django_publish_outage.py."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from tandem.events import chat_publish_lost_event
from tandem.publishing import Republisher

DEADLINE_S = 60.0  # generous: the worker thread may wait for a busy machine's scheduler


class FlakyLayer:
    """Records what it was sent; refuses while `down` (as a Redis outage does), or for good with
    the serializer's TypeError for an event that holds `unencodable`."""

    def __init__(self) -> None:
        self.down = False
        self.hints_down = False  # refuses only `tandem.frame` hints
        self.groups_down: set[str] = set()  # refuses these groups only (their shard is down)
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.attempts = 0
        self.on_send: Callable[[str, dict[str, Any]], None] | None = None  # runs before a send lands
        self._lock = threading.Lock()

    def send(self, group: str, event: dict[str, Any]) -> None:
        with self._lock:
            self.attempts += 1
            if "unencodable" in event:
                raise TypeError("can not serialize 'object' object")
            hint = event.get("type") == "tandem.frame"
            if self.down or group in self.groups_down or (self.hints_down and hint):
                raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        if self.on_send is not None:
            self.on_send(group, event)
        with self._lock:
            self.sent.append((group, event))

    def to(self, group: str) -> list[dict[str, Any]]:
        with self._lock:
            return [event for name, event in self.sent if name == group]


def settled(republisher: Republisher) -> None:
    """Waits until nothing is held and no chat is left to tell."""
    deadline = time.monotonic() + DEADLINE_S
    while republisher.waiting() != (0, []):
        assert time.monotonic() < deadline, republisher.waiting()
        time.sleep(0.01)


def retried_while_down(layer: FlakyLayer, times: int = 3) -> None:
    """Waits for the worker to try `times` more: whatever it holds in hand from then on is
    what is held now (a given-up publish it had already taken could still land otherwise)."""
    tried = layer.attempts
    deadline = time.monotonic() + DEADLINE_S
    while layer.attempts < tried + times:
        assert time.monotonic() < deadline
        time.sleep(0.01)


def message(n: int, chat: int = 7) -> dict[str, Any]:
    return {"type": "chat.message", "chat": chat, "seq": n}


@pytest.fixture
def layer() -> FlakyLayer:
    return FlakyLayer()


def make(layer: FlakyLayer, capacity: int = 100) -> Republisher:
    return Republisher(layer.send, lambda: capacity, first_retry_s=0.001, slowest_retry_s=0.01)


def test_a_layer_that_answers_gets_the_publish_at_once(layer: FlakyLayer) -> None:
    republisher = make(layer)
    republisher.publish("chat_7", message(1), lost_chat=7)
    assert layer.sent == [("chat_7", message(1))]
    assert republisher.waiting() == (0, [])


def test_what_the_layer_refused_is_published_again_in_order_once_it_answers(layer: FlakyLayer) -> None:
    republisher = make(layer)
    layer.down = True
    for n in range(1, 4):
        republisher.publish("chat_7", message(n), lost_chat=7)  # never raises
    republisher.publish("user_3", {"type": "chat.status", "upto": 3})
    assert republisher.waiting()[0] == 4
    retried_while_down(layer)
    layer.down = False
    settled(republisher)
    assert layer.to("chat_7") == [message(1), message(2), message(3)]
    assert layer.to("user_3") == [{"type": "chat.status", "upto": 3}]
    assert len(layer.sent) == 4
    assert republisher.given_up == 0


def test_a_publish_made_while_others_are_held_waits_behind_them(layer: FlakyLayer) -> None:
    republisher = make(layer)
    layer.down = True
    republisher.publish("chat_7", message(1), lost_chat=7)
    layer.down = False  # answers again: a direct send now would overtake message 1
    republisher.publish("chat_7", message(2), lost_chat=7)
    settled(republisher)
    assert [event["seq"] for _, event in layer.sent] == [1, 2]


def test_beyond_the_capacity_the_oldest_is_given_up_and_its_chat_told_once_the_layer_answers(
    layer: FlakyLayer,
) -> None:
    republisher = make(layer, capacity=2)
    layer.down = True
    republisher.publish("chat_7", message(1, chat=7), lost_chat=7)
    republisher.publish("chat_8", message(1, chat=8), lost_chat=8)
    republisher.publish("user_3", {"type": "chat.status", "upto": 1})  # no chat to tell for it
    republisher.publish("chat_8", message(2, chat=8), lost_chat=8)
    assert republisher.given_up == 2
    assert republisher.waiting() == (2, [7, 8])
    retried_while_down(layer)
    layer.down = False
    settled(republisher)
    assert layer.to("user_3") == [{"type": "chat.status", "upto": 1}]
    assert layer.to("chat_7") == [chat_publish_lost_event(7)]
    # Its hint went into chat 8's line when message 1 was given up, before message 2 was held.
    assert layer.to("chat_8") == [chat_publish_lost_event(8), message(2, chat=8)]
    assert len(layer.sent) == 4


def test_an_event_the_layer_can_never_encode_is_given_up_at_once_and_holds_nothing_up(
    layer: FlakyLayer,
) -> None:
    republisher = make(layer)
    republisher.publish("chat_7", {**message(1), "unencodable": object()}, lost_chat=7)
    republisher.publish("chat_7", message(2), lost_chat=7)  # behind the hint, or straight if it went
    settled(republisher)
    assert layer.sent == [("chat_7", chat_publish_lost_event(7)), ("chat_7", message(2))]
    assert republisher.given_up == 1


def test_a_group_whose_shard_is_down_holds_up_no_other_group(layer: FlakyLayer) -> None:
    republisher = make(layer)
    layer.groups_down = {"chat_7"}
    republisher.publish("chat_7", message(1), lost_chat=7)
    republisher.publish("chat_8", message(1, chat=8), lost_chat=8)  # nothing held for it: at once
    assert layer.sent == [("chat_8", message(1, chat=8))]
    layer.down = True  # both refused for a while: both held
    republisher.publish("chat_8", message(2, chat=8), lost_chat=8)
    retried_while_down(layer)
    layer.down = False  # chat 8's shard is back, chat 7's is not
    deadline = time.monotonic() + DEADLINE_S
    while republisher.waiting()[0] != 1:
        assert time.monotonic() < deadline, republisher.waiting()
        time.sleep(0.01)
    assert layer.to("chat_8") == [message(1, chat=8), message(2, chat=8)]
    assert layer.to("chat_7") == []
    layer.groups_down = set()
    settled(republisher)
    assert layer.to("chat_7") == [message(1)]


def test_a_loss_while_its_chats_hint_is_on_its_way_is_told_by_another_hint(layer: FlakyLayer) -> None:
    republisher = make(layer, capacity=1)
    layer.down = True
    republisher.publish("chat_7", message(1), lost_chat=7)
    republisher.publish("chat_7", message(2), lost_chat=7)  # gives up 1: a hint goes in line, 2 behind it
    retried_while_down(layer)

    def lose_another_while_the_hint_is_sent(group: str, event: dict[str, Any]) -> None:
        if event.get("type") == "tandem.frame" and len(layer.to("chat_7")) == 0:
            # Held behind message 2, which it gives up for room: a loss the hint on its way,
            # taken before it, cannot be counted as telling.
            republisher.publish("chat_7", message(3), lost_chat=7)

    layer.on_send = lose_another_while_the_hint_is_sent
    layer.down = False
    settled(republisher)
    assert republisher.given_up == 2
    hint = chat_publish_lost_event(7)
    assert layer.to("chat_7") == [hint, hint, message(3)]


def test_a_hint_the_layer_refuses_is_sent_again_until_it_answers(layer: FlakyLayer) -> None:
    republisher = make(layer, capacity=1)
    layer.down = True
    republisher.publish("chat_7", message(1), lost_chat=7)
    republisher.publish("chat_9", message(1, chat=9), lost_chat=9)  # gives up chat 7's
    retried_while_down(layer)
    layer.hints_down = True
    layer.down = False  # the held message goes; the hint for chat 7 is refused, again and again
    retried_while_down(layer)
    assert layer.sent == [("chat_9", message(1, chat=9))]
    assert republisher.waiting() == (0, [7])
    layer.hints_down = False
    settled(republisher)
    assert layer.sent[1:] == [("chat_7", chat_publish_lost_event(7))]


def test_a_forked_child_starts_with_nothing_held(layer: FlakyLayer) -> None:
    republisher = make(layer)
    layer.down = True
    republisher.publish("chat_7", message(1), lost_chat=7)
    republisher.forget_after_fork()  # what os.register_at_fork runs in the child
    assert republisher.waiting() == (0, [])
    layer.down = False
    republisher.publish("chat_7", message(2), lost_chat=7)  # straight through: nothing held
    assert ("chat_7", message(2)) in layer.sent


def test_a_publish_from_a_thread_whose_event_loop_runs_is_sent_by_the_worker(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Sync code called straight from async code (no sync_to_async) cannot wait for the layer
    on its own thread: the publish goes to the worker quietly, not through a failed attempt."""
    from tandem import publishing

    layer = FlakyLayer()
    monkeypatch.setattr(publishing, "_layer_send", layer.send)

    async def from_async_code() -> None:
        publishing.publish("chat_7", message(1), lost_chat=7)

    asyncio.run(from_async_code())
    settled(publishing.republisher)
    assert layer.sent == [("chat_7", message(1))]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
