"""Memory per idle authenticated socket (goal W1 in docs/benchmarks.md: a few KB each, so one
process holds 100,000): thousands of /ws/notifications/ sockets are opened and left idle, and the
sidecar's RSS growth per socket must stay under a bound with margin."""

from __future__ import annotations

import asyncio
import json
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
# A ratchet, not yet the goal: 8.7 KiB per socket measured here with each socket having synced
# its chat (10.2 KiB while a socket waiting for a message held a 1.7 KB read buffer; 10.1 KiB
# measured before on sockets that had read nothing; 14.2 KiB while the writer, the
# session re-check and the typing/presence pacing each kept a coroutine parked for the socket's
# life; 18.3 KiB before the upgrade request, the Cookie header, empty deques' storage and two
# idle coroutines were dropped). Lower it with every cut; goal W1 is 6 KB.
BOUND_KIB_PER_SOCKET = 10


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * KIB
    raise AssertionError("no VmRSS")


async def open_idle(url: str, cookie: str, count: int, sockets: list[ClientConnection],
                    sync_chat: int | None = None) -> None:
    """`sync_chat`: each socket then asks for that chat's news, as the browser client does after
    every hello, before it goes idle: a socket that has read a frame, not only one that never did."""
    # Few handshakes at once: the unauthenticated caps (max_unauthenticated_per_address) would
    # refuse a burst of thousands from one address.
    gate = asyncio.Semaphore(32)

    async def one() -> None:
        async with gate:
            ws = await connect(url, additional_headers={"Cookie": f"sessionid={cookie}"}, origin=Origin(ORIGIN),
                               open_timeout=60, ping_interval=None, max_queue=4)
            await asyncio.wait_for(ws.recv(), timeout=60)  # hello: the socket is fully set up
            if sync_chat is not None:
                await ws.send(json.dumps({"type": "sync", "chat": sync_chat, "after": 0, "ref": "s"}))
                while json.loads(await asyncio.wait_for(ws.recv(), timeout=60)).get("ref") != "s":
                    pass
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


def sidecar_for_idle_sockets(world: Any, make_sidecar: Callable[..., SidecarProcess], count: int,
                             **overrides: Any) -> tuple[int, str, str]:
    """A sidecar where ann may open `count` sockets: its pid, the notifications URL, ann's cookie."""
    sidecar = make_sidecar(max_connections_per_user=count + 10, log_level="warn", **overrides)
    assert sidecar.process is not None
    return sidecar.process.pid, sidecar.ws_url("/ws/notifications/"), world.cookie(world.ann)


def test_an_idle_authenticated_socket_costs_a_few_kilobytes(
    world: Any, make_sidecar: Callable[..., SidecarProcess]
) -> None:
    pid, url, cookie = sidecar_for_idle_sockets(world, make_sidecar, WARMUP + MEASURED)

    async def scenario() -> dict[str, Any]:
        sockets: list[ClientConnection] = []
        try:
            await open_idle(url, cookie, WARMUP, sockets, world.chat.id)
            before = await settle_rss(pid)
            await open_idle(url, cookie, MEASURED, sockets, world.chat.id)
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


BURST_SOCKETS = 100
BURST_FRAME_BYTES = 3 << 20  # under the test's max_message_bytes: read whole, then refused


def test_memory_a_burst_freed_goes_back_to_the_system_while_the_sockets_sit_idle(
    world: Any, make_sidecar: Callable[..., SidecarProcess]
) -> None:
    """A burst (here a hundred large frames at once; in production a presence storm or a
    reconnect wave) is freed when it ends, and the allocator must hand those pages back even
    though nothing allocates afterwards: idle sockets are what the process does most of its
    life, and without a purge in the background the pages stay resident until the next burst."""
    pid, url, cookie = sidecar_for_idle_sockets(world, make_sidecar, BURST_SOCKETS, max_message_bytes=4 << 20)

    async def scenario() -> dict[str, int]:
        sockets: list[ClientConnection] = []
        try:
            await open_idle(url, cookie, BURST_SOCKETS, sockets)
            before = await settle_rss(pid)
            frame = "x" * BURST_FRAME_BYTES  # not JSON: answered with an error frame

            async def send_and_wait_for_the_error(ws: ClientConnection) -> None:
                await ws.send(frame)
                while json.loads(await asyncio.wait_for(ws.recv(), timeout=120))["type"] != "error":
                    pass

            await asyncio.gather(*(send_and_wait_for_the_error(ws) for ws in sockets))
            peak = rss_bytes(pid)
            # Back within the allocator's decay time (10 s) and a margin for a busy machine;
            # nothing is sent meanwhile, so nothing but the purge can bring it down.
            settled = peak
            for _ in range(90):
                await asyncio.sleep(1)
                settled = rss_bytes(pid)
                if settled - before < (peak - before) // 4:
                    break
            assert all(ws.close_code is None for ws in sockets)
            return {"before": before, "peak": peak, "settled": settled}
        finally:
            await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)

    measured = asyncio.run(scenario())
    print(f"RSS around a burst: {measured}")
    if "asan" in os.environ.get("TANDEM_BUILD_DIR", ""):
        return  # ASan's own allocator keeps freed memory in quarantine: RSS says nothing there
    grown = measured["peak"] - measured["before"]
    assert grown > 32 << 20, f"the burst did not grow the heap enough to tell: {measured}"
    assert measured["settled"] - measured["before"] < grown // 4, f"freed memory stayed resident: {measured}"
