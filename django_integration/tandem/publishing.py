"""Publishing on the channel layer from Django, through an outage.

Django publishes after the commit (a message sent through the HTTP views or site code, receipts,
membership and privacy changes). When the layer cannot take a publish (Redis down, restarting,
failing over), the row is stored and the sender told so, but without this module the sockets
would never hear of it live: a message lost with nothing to bring it until each recipient
reconnects. As the sidecar does for its own sends (`republish_capacity`), each Django process
keeps what the layer refused and publishes it again once the layer answers, from a thread of its
own. Publishes are held per group, in the order this process made them: a later publish to a
group with some held waits behind them (so it neither overtakes them nor makes a request wait on
a layer that just refused that group), while groups with nothing held, or on a shard that
answers, are not held up by a shard that does not. Beyond `republish_capacity` held publishes
the oldest is given up, and a chat message given up ends in the sidecar's own `resync` hint
(`reason: "publish_lost"`) to the chat's group once the layer answers, so every socket of the
chat syncs it (docs/protocol.md).

A process that exits while holding publishes loses them (the sockets catch up at their next
reconnect or at the chat's next message, whose gap makes them sync); docs/django.md says so.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer

from tandem.conf import tandem_settings
from tandem.events import chat_publish_lost_event
from tandem.groups import chat_group

logger = logging.getLogger(__name__)

# (group, event) -> None, raising when the layer refuses; run in the worker's own event loop.
Send = Callable[[str, dict[str, Any]], None]

# Short first (a Redis restart or failover takes moments), then at most one round of attempts
# every two seconds while the layer stays down, so an outage costs Redis almost nothing.
FIRST_RETRY_S = 0.05
SLOWEST_RETRY_S = 2.0

# What the layer's serializer raises for an event it can never encode: retrying cannot help, and
# holding it would hold every publish to its group behind it.
_REFUSED_FOR_GOOD = (TypeError, ValueError, OverflowError)


@dataclass(eq=False)
class _Publish:
    group: str
    event: dict[str, Any]
    lost_chat: int | None  # the chat whose sockets must sync if this is given up
    hint_for: int | None = None  # set on a `publish_lost` hint: the chat it tells
    settled: bool = False  # published or given up: no longer held


class Republisher:
    """Publishes now, or holds what the layer refused and publishes it again later (per group,
    in order). `publish` never raises: a publish runs after a commit, where the row is stored."""

    def __init__(
        self,
        send: Send,
        capacity: Callable[[], int],
        *,
        worker_scope: Callable[[], AbstractContextManager[object]] = nullcontext,
        cannot_send_here: Callable[[], bool] = lambda: False,
        first_retry_s: float = FIRST_RETRY_S,
        slowest_retry_s: float = SLOWEST_RETRY_S,
    ) -> None:
        """`send` publishes, on a request's thread or the worker's; the worker sends within
        `worker_scope()` (the module's: an event loop of its own)."""
        self._send = send
        self._worker_scope = worker_scope
        self._cannot_send_here = cannot_send_here
        self._capacity = capacity
        self._first_retry_s = first_retry_s
        self._slowest_retry_s = slowest_retry_s
        self._generation = 0
        self.given_up = 0  # publishes given up since the process started (tests and logs)
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self._lines: dict[str, deque[_Publish]] = {}  # per group, oldest first (hints included)
        self._arrivals: deque[_Publish] = deque()  # held publishes (no hints), oldest first
        self._held = 0  # publishes held (hints are bounded by chats, not counted)
        self._losses: dict[int, int] = {}  # chat -> losses not yet covered by a hint that went out
        self._worker: threading.Thread | None = None
        self._wake = threading.Event()  # set by forget(): a pausing worker ends at once

    def forget(self, *, wait_s: float = 0.0) -> None:
        """Drops whatever is held, with no hint, and makes a running worker end (waiting up to
        `wait_s` for it): for a test's end (its channel layer is going away)."""
        with self._lock:  # the same lock: a worker or request inside it finishes first
            worker, wake = self._worker, self._wake
            self._generation += 1  # read by the worker under each lock it takes: it ends
            self._clear()
        wake.set()
        if worker is not None and wait_s > 0 and worker is not threading.current_thread():
            worker.join(wait_s)

    def forget_after_fork(self) -> None:
        """In a forked child: nothing held (the parent still holds and publishes them), no
        worker, and fresh locks (one the parent's worker held at the fork would never be
        released here). The old event is not touched for the same reason."""
        self._generation += 1
        self._reset()

    def publish(self, group: str, event: dict[str, Any], *, lost_chat: int | None = None) -> None:
        """Publishes `event` to `group`. `lost_chat`: the chat to send `publish_lost` to if this
        publish is given up (for a stored chat message; others are caught up by a sync anyway)."""
        self._publish(_Publish(group, event, lost_chat))

    def publish_all(self, items: list[tuple[str, dict[str, Any]]]) -> None:
        """publish() of each (group, event) in order; once one meets an outage the rest are held
        for the worker at once, rather than each waiting on a layer that does not answer (a
        chat created with a thousand members tells each of them)."""
        for index, (group, event) in enumerate(items):
            if self._publish(_Publish(group, event, None)):
                continue
            with self._lock:
                given_up = [lost for rest in items[index + 1 :] for lost in self._hold(_Publish(*rest, None))]
            self._log_given_up(given_up)
            return

    def _publish(self, item: _Publish) -> bool:
        """False when the layer failed to take it now (held to be published again)."""
        group, event = item.group, item.event
        with self._lock:
            # Behind the ones waiting for this group: never overtakes them. From a thread whose
            # event loop is running (sync code called from async code without sync_to_async),
            # the layer cannot be awaited here: the worker sends it, at once.
            given_up = self._hold(item) if group in self._lines or self._cannot_send_here() else None
        if given_up is not None:
            self._log_given_up(given_up)
            return True
        try:
            self._send(group, event)
        except _REFUSED_FOR_GOOD:
            _log_unencodable(group)
            with self._lock:
                self._give_up(item)
                self._start_worker()
            self._log_given_up([item])
        except Exception as error:  # noqa: BLE001 - any layer failure is an outage to wait out
            logger.warning("tandem: publish to %s failed (%s); held to publish again", group, error)
            with self._lock:
                given_up = self._hold(item)
            self._log_given_up(given_up)
            return False
        return True

    def waiting(self) -> tuple[int, list[int]]:
        """(publishes held, chats whose loss is still to be told): for tests and diagnostics."""
        with self._lock:
            return self._held, sorted(self._losses)

    # Under the lock ---------------------------------------------------------------------------

    def _hold(self, item: _Publish) -> list[_Publish]:
        """Holds `item` at the back of its group's line; returns the ones given up for room."""
        given_up: list[_Publish] = []
        while self._held >= max(1, self._capacity()):
            oldest = self._arrivals.popleft()
            if oldest.settled:
                continue
            self._remove(oldest)
            self._give_up(oldest)
            given_up.append(oldest)
        self._line(item.group).append(item)
        self._arrivals.append(item)
        self._held += 1
        if len(self._arrivals) > 2 * self._held + 64:
            # Published ones pile up behind a group still refused: dropped here, so the
            # order of arrival costs memory in proportion to what is held.
            self._arrivals = deque(held for held in self._arrivals if not held.settled)
        self._start_worker()
        return given_up

    def _line(self, group: str) -> deque[_Publish]:
        return self._lines.setdefault(group, deque())

    def _remove(self, item: _Publish) -> None:
        line = self._lines.get(item.group)
        if line is not None and item in line:
            line.remove(item)
            if not line:
                del self._lines[item.group]
        if item.hint_for is None and not item.settled:
            self._held -= 1
        item.settled = True
        if self._held == 0:
            self._arrivals.clear()

    def _give_up(self, item: _Publish) -> None:
        item.settled = True
        self.given_up += 1
        chat = item.lost_chat
        if chat is None:
            return
        # One hint in the chat's line at a time; a loss while it is on its way is counted, so
        # that hint is sent again rather than taken as covering it.
        if chat not in self._losses:
            self._line(chat_group(chat)).append(
                _Publish(chat_group(chat), chat_publish_lost_event(chat), None, chat)
            )
        self._losses[chat] = self._losses.get(chat, 0) + 1

    def _start_worker(self) -> None:
        if self._worker is not None:
            return
        worker = threading.Thread(
            target=self._work, args=(self._generation,), name="tandem-republisher", daemon=True
        )
        try:
            worker.start()
        except RuntimeError:  # interpreter shutting down, or no threads left: the next hold tries again
            logger.exception("tandem: the republisher's thread could not start")
            return
        self._worker = worker

    # ------------------------------------------------------------------------------------------

    def _log_given_up(self, items: list[_Publish]) -> None:
        for item in items:  # outside the lock: a slow log handler must not hold up publishes
            logger.error(
                "tandem: publish to %s given up (republish_capacity reached, or refused for good)%s",
                item.group,
                f"; chat {item.lost_chat}'s sockets will be told to sync"
                if item.lost_chat is not None
                else "",
            )

    def _front_of_each_line(self, generation: int) -> list[tuple[_Publish, int]] | None:
        """One round: each group's oldest, with its chat's loss count if it is a hint; None
        when this worker is done (nothing left, or forget() ran)."""
        with self._lock:
            if generation != self._generation:
                return None
            if not self._lines:
                self._worker = None
                return None
            fronts = [line[0] for line in self._lines.values()]
            return [
                (front, self._losses.get(front.hint_for, 0) if front.hint_for is not None else 0)
                for front in fronts
            ]

    def _sent(self, item: _Publish, losses_when_taken: int, generation: int) -> None:
        with self._lock:
            if generation != self._generation or item.settled:
                return  # given up for room while on its way: published and told, harmless
            if item.hint_for is not None and self._losses.get(item.hint_for) != losses_when_taken:
                return  # another loss since it was taken: it stays in line, to be sent again
            self._remove(item)
            if item.hint_for is not None:
                del self._losses[item.hint_for]

    def _refused_for_good(self, item: _Publish, generation: int) -> list[_Publish]:
        with self._lock:
            if generation != self._generation or item.settled:
                return []
            self._remove(item)
            if item.hint_for is not None:  # never sendable: dropped, not retried forever
                self._losses.pop(item.hint_for, None)
                return []
            self._give_up(item)
            return [item]

    def _work(self, generation: int) -> None:
        try:
            with self._worker_scope():
                self._retry_until_nothing_held(generation)
        except Exception:  # a defect: logged, and the next hold starts a worker again
            logger.exception("tandem: the republisher's thread failed")
        finally:
            with self._lock:
                if self._worker is threading.current_thread():
                    self._worker = None

    def _retry_until_nothing_held(self, generation: int) -> None:
        wake = self._wake
        pause, down_since_logged = 0.0, False
        while (round_ := self._front_of_each_line(generation)) is not None:
            progressed = False
            for item, losses in round_:
                if item.settled:  # given up for room since the round began
                    continue
                try:
                    self._send(item.group, item.event)
                except _REFUSED_FOR_GOOD:
                    _log_unencodable(item.group)
                    self._log_given_up(self._refused_for_good(item, generation))
                    progressed = True
                    continue
                except Exception as error:  # noqa: BLE001 - that group's shard is still down
                    if not down_since_logged:
                        logger.warning("tandem: the channel layer still refuses (%s); retrying", error)
                        down_since_logged = True
                    continue
                self._sent(item, losses, generation)
                progressed = True
            if progressed:
                if down_since_logged:
                    logger.warning("tandem: the channel layer answers again; publishing what was held")
                pause, down_since_logged = 0.0, False
                continue
            # A whole round refused: wait, longer each time, before the next.
            pause = min(max(pause * 2, self._first_retry_s), self._slowest_retry_s)
            if wake.wait(pause):
                return


_worker_loop = threading.local()


def _layer_send(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    loop = getattr(_worker_loop, "loop", None)
    # The worker's own loop where channels_redis keeps connections per loop (4.1 and later), so
    # a backlog reuses them; elsewhere (a request's thread, channels_redis 4.0, whose one pool
    # is reset whenever the loop changes, or another backend) as any sync code publishes.
    if loop is None or not hasattr(layer, "_layers"):
        async_to_sync(layer.group_send)(group, event)
    else:
        loop.run_until_complete(layer.group_send(group, event))


def _running_loop_here() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@contextmanager
def _worker_event_loop() -> Iterator[None]:
    """The worker's own event loop for its sends (_layer_send), closed as it ends: closing it
    makes channels_redis close the connections it kept for that loop."""
    _worker_loop.loop = asyncio.new_event_loop()
    try:
        yield
    finally:
        loop, _worker_loop.loop = _worker_loop.loop, None
        try:
            loop.close()
        except Exception:  # what was sent is sent; publishing never raises
            logger.exception("tandem: closing the publishing event loop failed")


def _log_unencodable(group: str) -> None:
    logger.exception("tandem: the channel layer cannot encode an event for %s", group)


# The send is looked up at each call, so a test can replace `_layer_send` for the module.
republisher = Republisher(
    lambda group, event: _layer_send(group, event),
    lambda: int(tandem_settings.republish_capacity),
    worker_scope=_worker_event_loop,
    cannot_send_here=_running_loop_here,
)
os.register_at_fork(after_in_child=republisher.forget_after_fork)


def publish(group: str, event: dict[str, Any], *, lost_chat: int | None = None) -> None:
    """Publishes `event` to `group` now or, through a channel-layer outage, once the layer
    answers (module docstring). Never raises."""
    republisher.publish(group, event, lost_chat=lost_chat)


def publish_many(items: list[tuple[str, dict[str, Any]]]) -> None:
    """publish() of each (group, event), in order, from one event loop of this thread's (so
    channels_redis 4.1+ reuses its connections instead of opening one per publish); once one
    meets an outage the rest are held at once (Republisher.publish_all). Never raises."""
    # Not under ASGI's sync threads: their async_to_sync already runs on the server's own loop,
    # whose connections channels_redis keeps. asgiref leaves a thread's main_event_loop set after
    # it ran sync code for an async_to_sync (a closed loop, then): only a running one counts.
    server_loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    own_loop_helps = server_loop is None or not server_loop.is_running()
    if (
        len(items) > 1
        and own_loop_helps
        and not _running_loop_here()
        and getattr(_worker_loop, "loop", None) is None
    ):
        with _worker_event_loop():
            republisher.publish_all(items)
    else:
        republisher.publish_all(items)
