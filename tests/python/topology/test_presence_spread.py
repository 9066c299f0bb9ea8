"""Presence keys are spread over the Redis shards by user (docs/protocol.md, "Presence"): with two
shards, users' keys land on both, each key carries the hash tag of what it belongs to, and
presence stays right across processes: online while any socket is open anywhere, offline once
the last one closes, and a process killed with -9 is swept by a survivor."""

from __future__ import annotations

import re
import signal
from contextlib import ExitStack
from typing import Any

import redis
from harness.redis_server import RedisServer
from harness.sidecar_process import SidecarProcess
from polling import poll
from user_session import login
from websockets.sync.client import ClientConnection, connect

USERS = 12


def _open(stack: ExitStack, process: SidecarProcess, cookie: str) -> ClientConnection:
    ws = stack.enter_context(
        connect(
            process.ws_url("/ws/notifications/"),
            additional_headers={"Cookie": f"sessionid={cookie}"},
            origin="http://localhost",
            open_timeout=30,
        )
    )
    ws.recv(timeout=30)  # hello: the socket is counted
    return ws


def _presence_keys(server: RedisServer) -> list[str]:
    client = redis.Redis.from_url(server.url, decode_responses=True)
    try:
        return list(client.scan_iter(match="*tandem:presence:*"))
    finally:
        client.close()


def test_presence_keys_spread_over_shards_and_stay_right(
    transactional_db: None,
    django_user_model: Any,
    sidecars: list[SidecarProcess],
    channel_layer_redis: RedisServer,
    second_shard: RedisServer,
    presence_intervals: dict[str, float],
) -> None:
    from tandem.models import UserStatus

    users = [django_user_model.objects.create_user(f"spread{i}", password="pw") for i in range(USERS)]
    cookies = [login(user) for user in users]
    doomed, survivor, third = sidecars

    def statuses() -> list[tuple[bool, int] | None]:
        rows = {row.user_id: (row.online, row.connections) for row in UserStatus.objects.filter(user__in=users)}
        return [rows.get(user.pk) for user in users]

    with ExitStack() as everything:
        # Every user on `survivor`; the even ones also on `doomed`, the odd ones also on `third`.
        for i, cookie in enumerate(cookies):
            _open(everything, survivor, cookie)
            _open(everything, doomed if i % 2 == 0 else third, cookie)
        poll(lambda: statuses() == [(True, 2)] * USERS, 30, "every user online with two sockets")

        first, second = _presence_keys(channel_layer_redis), _presence_keys(second_shard)
        user_tags = re.compile(r"\{user:(\d+)\}")
        on_first = {m.group(1) for key in first if (m := user_tags.search(key))}
        on_second = {m.group(1) for key in second if (m := user_tags.search(key))}
        assert on_first, (first, second)  # spread: both shards hold users
        assert on_second, (first, second)
        assert not on_first & on_second  # a user's keys stay together on one shard
        assert len(on_first | on_second) == USERS
        for key in first + second:
            assert re.search(r"\{(user:\d+|lease:[0-9a-f]+|leases)\}", key), key  # one tag per key

        # kill -9: a survivor sweeps the dead lease; everyone keeps one socket elsewhere.
        doomed.stop(signal.SIGKILL)
        sweep_s = presence_intervals["presence_lease_ttl"] + 4 * presence_intervals["presence_heartbeat"] + 10
        expected = [(True, 1) if i % 2 == 0 else (True, 2) for i in range(USERS)]
        poll(lambda: statuses() == expected, sweep_s, "the dead process's sockets swept, nobody offline")

    # Every socket closed: offline after the grace period, on whichever shard each user lives.
    poll(
        lambda: all(status is not None and status[0] is False for status in statuses()),
        presence_intervals["presence_grace"] + 30,
        "every user offline",
    )
