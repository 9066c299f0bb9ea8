"""Presence after a fault, as users see it: every user with an open tab is online in a new
socket's snapshot on every live process and in tandem_userstatus (with the right number of
connections), and nobody was announced offline while all their tabs stayed open."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import TYPE_CHECKING

from faults.fault_client import FaultClient
from sidecar.wsclient import open_socket
from websockets.exceptions import WebSocketException

if TYPE_CHECKING:
    from faults.matrix import FaultWorld

# Beyond the lease (6 s) plus a heartbeat (2 s) and the grace (1 s): time enough to heal.
SETTLE_S = 15.0


def snapshot_problems(world: FaultWorld) -> list[str]:
    problems = []
    names = {u.pk: name for name, u in world.users.items()}
    for index, sidecar in enumerate(world.live_sidecars()):
        for name in world.users:
            try:
                with open_socket(sidecar.ws_url(f"/ws/chat/{world.chat_id}/"), world.cookies[name]) as ws:
                    frames = [json.loads(ws.recv(timeout=10)) for _ in range(2)]
            except (OSError, WebSocketException, TimeoutError) as error:
                problems.append(f"{name}'s new socket on process {index} failed: {error}")
                continue
            snapshot = next((f for f in frames if f["type"] == "presence"), {"users": []})
            offline = [names.get(u["user"]) for u in snapshot["users"] if not u["online"]]
            if offline:
                problems.append(f"{name}'s new socket on process {index} sees {offline} offline")
    return problems


def status_problems(world: FaultWorld, clients: list[FaultClient]) -> list[str]:
    from django.db import connection
    from tandem.models import UserStatus

    connection.close()
    tabs = Counter(c.user_id for c in clients if c.connected)
    rows = {s.user_id: (s.online, s.connections) for s in UserStatus.objects.filter(user_id__in=tabs)}
    return [
        f"tandem_userstatus of user {user} says {rows.get(user)}, {n} tabs are open"
        for user, n in tabs.items()
        if rows.get(user) != (True, n)
    ]


def presence_settles(world: FaultWorld, clients: list[FaultClient], since: float) -> str | None:
    """None when presence is right within SETTLE_S, else what was still wrong. Offline news
    counts from `since` on (every tab open): the first snapshots rightly show later tabs offline."""
    problems: list[str] = []
    if not any(c.closes for c in clients):
        flaps = {(user, round(at - since, 1)) for c in clients for at, user in c.offline_seen if at > since}
        if flaps:
            problems.append(
                f"announced offline while every tab stayed open (user, s into the row): {sorted(flaps)[:5]}"
            )
    deadline = time.monotonic() + SETTLE_S
    while True:
        wrong = status_problems(world, clients) or snapshot_problems(world)
        if not wrong or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    problems += wrong
    return "; ".join(problems) or None
