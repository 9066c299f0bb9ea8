"""The sidecar under the faults named in the fault-tolerance issue, each a regression test that
failed before its fix: presence counted only after Redis agreed, presence and live delivery
restored after Redis restarts empty, acks that need only PostgreSQL not held by a stalled
Redis, sockets verified during a drain, the lease released at exit, a second signal, and
events too large for any socket's queue."""

from __future__ import annotations

import os
import signal
import threading
import time
from contextlib import ExitStack

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from chatclient import frames_within, send_message, wait_for
from test_messaging_scale_out import own_session
from test_presence import FAST, inbox, presence_of, tab
from test_timeouts_and_rechecks import raw_upgrade
from websockets.exceptions import InvalidStatus
from wsclient import greeting, open_socket


def of_type(frame_type: str):
    return lambda f: f["type"] == frame_type


def test_a_socket_whose_presence_script_was_refused_counts_once_redis_takes_scripts_again(
    world, make_sidecar, channel_layer_redis
) -> None:
    """A tab opened while Redis refused the presence scripts (as -OOM or -READONLY in a failover
    would) counts for its user once Redis takes them again: closing the user's other tab then
    announces nothing (it announced them offline with a tab open), and closing it does."""
    from tandem.models import UserStatus

    sidecar = make_sidecar(**FAST)
    redis = channel_layer_redis.client()
    with inbox(sidecar, world.bob) as bob:
        greeting(bob)
        first = tab(sidecar, world.ann)
        wait_for(bob, presence_of(world.ann, online=True))
        redis.execute_command("ACL", "SETUSER", "default", "-eval", "-evalsha")
        try:
            second_tab = ExitStack()
            second = second_tab.enter_context(
                open_socket(sidecar.ws_url("/ws/notifications/"), own_session(world.ann))
            )
            assert wait_for(second, of_type("hello"))
            time.sleep(0.5)
        finally:
            redis.execute_command("ACL", "SETUSER", "default", "+@all")
        time.sleep(1.0)  # a heartbeat or two: the worker's counts are written back
        first.close()
        assert [f for f in frames_within(bob, 2.5) if presence_of(world.ann, online=False)(f)] == []
        assert UserStatus.objects.get(user=world.ann).online
        second_tab.close()
        wait_for(bob, presence_of(world.ann, online=False), timeout=10)


def test_after_redis_restarts_empty_presence_is_rebuilt_and_open_sockets_are_told_to_resync(
    world, make_sidecar, channel_layer_redis
) -> None:
    from tandem.models import UserStatus

    sidecar = make_sidecar(**FAST)
    with inbox(sidecar, world.bob) as bob:
        greeting(bob)
        ann_first = tab(sidecar, world.ann)
        wait_for(bob, presence_of(world.ann, online=True))
        ann_second = tab(sidecar, world.ann)
        channel_layer_redis.restart()  # empty: no leases, counts or online set
        # Sockets that lived through the outage may have missed messages: they are told so.
        assert wait_for(bob, of_type("resync"), timeout=20)["reason"]
        deadline = time.monotonic() + 20
        while sidecar.get("/readyz")[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        # A new socket of bob's sees ann online: her counts came back from the sidecar's sockets.
        online = None
        while time.monotonic() < deadline:
            with inbox(sidecar, world.bob) as again:
                greeting_frames = [wait_for(again, of_type("hello")), wait_for(again, of_type("presence"))]
                about = [u for u in greeting_frames[1]["users"] if u["user"] == world.ann.pk]
                online = bool(about and about[0]["online"])
            if online:
                break
            time.sleep(0.3)
        assert online, "ann's presence was not rebuilt after Redis restarted"
        # Closing one of two tabs announces nothing; closing the last announces offline.
        ann_second.close()
        # (A repeated "online" from the restore is harmless; "offline" would be wrong.)
        assert [f for f in frames_within(bob, 2) if presence_of(world.ann, online=False)(f)] == []
        ann_first.close()
        wait_for(bob, presence_of(world.ann, online=False), timeout=10)
    assert not UserStatus.objects.get(user=world.ann).online


def test_acks_need_only_postgres_a_stalled_redis_does_not_hold_the_next_frames(
    world, make_sidecar, channel_layer_redis
) -> None:
    sidecar = make_sidecar()
    with open_socket(sidecar.ws_url(f"/ws/chat/{world.chat.pk}/"), world.cookie(world.ann)) as ann:
        greeting(ann)
        assert send_message(ann, "warm-1", "before")["type"] == "ack"
        os.kill(channel_layer_redis.process.pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            acks = [send_message(ann, f"stalled-{i}", f"body {i}") for i in range(3)]
            took = time.monotonic() - started
        finally:
            os.kill(channel_layer_redis.process.pid, signal.SIGCONT)
        assert [a["type"] for a in acks] == ["ack", "ack", "ack"]
        # Before: each send waited for its publish (up to the 5 s command timeout) before the
        # next frame was read.
        assert took < 3, f"three acks took {took:.1f} s while Redis was stalled"


def test_a_socket_still_being_verified_when_a_drain_starts_is_refused_or_closed_with_1012(
    world, make_sidecar, postgres_server
) -> None:
    import psycopg
    from django.db import connection

    sidecar = make_sidecar(drain_deadline=10)
    cookie = own_session(world.ann)
    # A client that never answers the close frame keeps the drain going for a few seconds.
    silent = raw_upgrade(sidecar.port, own_session(world.bob))
    dsn = postgres_server.conninfo(connection.settings_dict["NAME"])
    outcome: dict[str, object] = {}

    def connect() -> None:
        try:
            with open_socket(sidecar.ws_url("/ws/notifications/"), cookie) as ws:
                outcome["frames"] = frames_within(ws, 8)
                outcome["close_code"] = ws.close_code
        except InvalidStatus as refused:
            outcome["status"] = refused.response.status_code
        except Exception as error:  # noqa: BLE001 - the assertion below shows what happened
            outcome["error"] = repr(error)

    with psycopg.connect(dsn, autocommit=False) as blocker:
        # The session lookup waits on this lock: the socket is mid-verification.
        blocker.execute("LOCK TABLE django_session IN ACCESS EXCLUSIVE MODE")
        client = threading.Thread(target=connect)
        client.start()
        time.sleep(1.0)
        sidecar.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        blocker.rollback()  # verification completes after the drain began
    client.join(timeout=60)
    assert not client.is_alive()
    if "status" in outcome:
        assert outcome["status"] == 503
    else:
        assert outcome.get("close_code") == 1012, outcome
    assert sidecar.process.wait(timeout=30) == 0
    assert "drain_deadline_passed" not in sidecar.log()
    silent.close()


def test_the_lease_is_released_at_exit_so_contacts_see_offline_at_once(world, make_sidecar) -> None:
    slow_sweep = {**FAST, "presence_lease_ttl": 30, "presence_heartbeat": 10, "presence_grace": 1.0}
    one, two = make_sidecar(**slow_sweep), make_sidecar(**slow_sweep)
    with inbox(two, world.bob) as bob:
        greeting(bob)
        ann = tab(one, world.ann)
        wait_for(bob, presence_of(world.ann, online=True))
        stopped = time.monotonic()
        assert one.stop() == 0
        # Not a lease's 30 s later: the exiting process settles its users itself.
        wait_for(bob, presence_of(world.ann, online=False), timeout=8)
        assert time.monotonic() - stopped < 8
        ann.close()


def test_a_second_signal_ends_a_drain_at_once(world, make_sidecar) -> None:
    sidecar = make_sidecar(drain_deadline=30)
    # A client that never answers the close frame keeps the drain waiting.
    ws = raw_upgrade(sidecar.port, world.cookie(world.ann))
    sidecar.process.send_signal(signal.SIGTERM)
    # The second signal must come after the first was handled (two pending ones merge).
    sidecar.wait_for_log("event=drain_started", timeout=10)
    started = time.monotonic()
    sidecar.process.send_signal(signal.SIGTERM)
    assert sidecar.process.wait(timeout=5) == 128 + signal.SIGTERM
    assert time.monotonic() - started < 2
    ws.close()


def test_an_event_larger_than_any_socket_queue_is_refused_and_the_socket_kept(world, make_sidecar) -> None:
    sidecar = make_sidecar(outbound_queue_bytes=4096)
    with open_socket(sidecar.ws_url("/ws/notifications/"), world.cookie(world.ann)) as ws:
        greeting(ws)
        layer = get_channel_layer()
        async_to_sync(layer.group_send)(f"user_{world.ann.pk}", {"type": "notification", "text": "x" * 10000})
        async_to_sync(layer.group_send)(f"user_{world.ann.pk}", {"type": "notification", "text": "small"})
        frame = wait_for(ws, of_type("notification"))
        assert frame["text"] == "small"
        assert ws.close_code is None
    _, metrics = sidecar.get("/metrics")
    assert "tandem_layer_events_oversized_total 1" in metrics
    assert "slow_reader_closed" not in sidecar.log()
