"""After a sidecar is killed with -9, the surviving processes' sweep of its presence lease
rewrites tandem_userstatus for every user of that lease: offline for those with no socket left,
and the live count for users still connected to another process (`connections` 1 with one
socket open, as docs/protocol.md promises Django's views)."""

from __future__ import annotations

import signal
import time
from contextlib import ExitStack
from typing import Any

from harness.sidecar_process import SidecarProcess
from polling import poll
from user_session import login
from websockets.sync.client import connect


def test_after_kill_9_the_status_row_counts_only_live_sockets(
    transactional_db: None,
    django_user_model: Any,
    sidecars: list[SidecarProcess],
    presence_intervals: dict[str, float],
) -> None:
    from tandem.models import UserStatus

    ann = django_user_model.objects.create_user("ann", password="pw-ann")
    cookie = login(ann)
    doomed, survivor, _ = sidecars

    def status() -> tuple[bool, int] | None:
        row = UserStatus.objects.filter(user=ann).first()
        return (row.online, row.connections) if row else None

    with ExitStack() as stack:
        for process in (doomed, survivor):
            ws = stack.enter_context(
                connect(
                    process.ws_url("/ws/notifications/"),
                    additional_headers={"Cookie": f"sessionid={cookie}"},
                    origin="http://localhost",
                    open_timeout=10,
                )
            )
            ws.recv(timeout=10)  # hello (or an early frame): the socket is counted either way
        poll(lambda: status() == (True, 2), 10, "both sockets counted")
        doomed.stop(signal.SIGKILL)
        sweep_s = presence_intervals["presence_lease_ttl"] + 4 * presence_intervals["presence_heartbeat"] + 3
        time.sleep(sweep_s)
        assert status() == (True, 1)
