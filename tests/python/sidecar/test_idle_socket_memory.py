"""Memory per idle authenticated socket (goal W1 in docs/benchmarks.md: a few KB each, so one
process holds 100,000): thousands of /ws/notifications/ sockets are opened and left idle, and the
sidecar's RSS growth per socket must stay under a bound with margin."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.sidecar_process import SidecarProcess
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin
from wsclient import ORIGIN

KIB = 1024
WARMUP = 200  # first sockets grow allocator arenas and pools once: not counted
MEASURED = 2000
# A ratchet, not yet the goal: 10.1 KiB per socket measured here (14.2 KiB while the writer, the
# session re-check and the typing/presence pacing each kept a coroutine parked for the socket's
# life; 18.3 KiB before the upgrade request, the Cookie header, empty deques' storage and two
# idle coroutines were dropped). Lower it with every cut; goal W1 is 6 KB.
BOUND_KIB_PER_SOCKET = 12


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * KIB
    raise AssertionError("no VmRSS")


async def open_idle(url: str, cookie: str, count: int, sockets: list[ClientConnection]) -> None:
    # Few handshakes at once: the unauthenticated caps (max_unauthenticated_per_address) would
    # refuse a burst of thousands from one address.
    gate = asyncio.Semaphore(32)

    async def one() -> None:
        async with gate:
            ws = await connect(url, additional_headers={"Cookie": f"sessionid={cookie}"}, origin=Origin(ORIGIN),
                               open_timeout=60, ping_interval=None, max_queue=4)
            await asyncio.wait_for(ws.recv(), timeout=60)  # hello: the socket is fully set up
            sockets.append(ws)

    await asyncio.gather(*(one() for _ in range(count)))


async def settle_rss(pid: int) -> int:
    """RSS once the sockets' setup (presence, snapshot frames) has finished: stable for a second."""
    last = rss_bytes(pid)
    for _ in range(30):
        await asyncio.sleep(1)
        now = rss_bytes(pid)
        if abs(now - last) < 64 * KIB:
            return now
        last = now
    return last


def test_an_idle_authenticated_socket_costs_a_few_kilobytes(
    world: Any, make_sidecar: Callable[..., SidecarProcess]
) -> None:
    sidecar = make_sidecar(max_connections_per_user=WARMUP + MEASURED + 10, log_level="warn")
    assert sidecar.process is not None
    pid = sidecar.process.pid
    url = sidecar.ws_url("/ws/notifications/")
    cookie = world.cookie(world.ann)

    async def scenario() -> dict[str, Any]:
        sockets: list[ClientConnection] = []
        try:
            await open_idle(url, cookie, WARMUP, sockets)
            before = await settle_rss(pid)
            await open_idle(url, cookie, MEASURED, sockets)
            after = await settle_rss(pid)
            open_now = sum(1 for ws in sockets if ws.close_code is None)
            return {"before": before, "after": after, "open": open_now}
        finally:
            await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)

    measured = asyncio.run(scenario())
    assert measured["open"] == WARMUP + MEASURED, measured
    per_socket_kib = (measured["after"] - measured["before"]) / MEASURED / KIB
    print(f"RSS per idle socket: {per_socket_kib:.2f} KiB over {MEASURED} sockets")
    # Under AddressSanitizer (the CI's second run of this directory) the sockets must still all
    # open and stay open, but RSS says nothing there: ASan keeps freed memory and pads every block.
    if "asan" not in os.environ.get("TANDEM_BUILD_DIR", ""):
        assert per_socket_kib < BOUND_KIB_PER_SOCKET, f"{per_socket_kib:.2f} KiB per idle socket"
