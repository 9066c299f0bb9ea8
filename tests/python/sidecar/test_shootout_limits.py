"""The bench-only shootout endpoint's limits (docs/configuration.md, `bench_shootout_endpoint`):
a peer that floods it without reading cannot make the sidecar buffer without bound (its queue is
capped by `outbound_queue_frames`/`outbound_queue_bytes`, then it is closed with 1013), one
connection's broadcasts are rate limited, and turning the endpoint on is logged as a warning."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from harness.sidecar_process import SidecarProcess
from websockets.exceptions import ConnectionClosed
from wsclient import next_frame, open_socket

MIB = 1 << 20


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_a_peer_flooding_echoes_without_reading_is_closed_before_memory_grows(
    transactional_db: None, make_sidecar: Callable[..., SidecarProcess]
) -> None:
    # A short handshake timeout also bounds how long the closing handshake waits for a peer
    # that never reads (Beast applies it to the close), so the flood ends soon after the cap.
    sidecar = make_sidecar(bench_shootout_endpoint=True, handshake_timeout=3)
    assert sidecar.process is not None
    pid = sidecar.process.pid
    before = rss_bytes(pid)
    peak = before
    frame = json.dumps({"type": "echo", "payload": "x" * 16_000})
    frames = 8_000  # ~128 MB of echoes owed to a peer that reads none of them
    sent = 0
    failure: list[BaseException] = []
    stopped = threading.Event()

    def watch_memory() -> None:
        nonlocal peak
        while not stopped.is_set():
            peak = max(peak, rss_bytes(pid))
            time.sleep(0.02)

    def flood() -> None:
        nonlocal sent
        # max_queue=1: the client stops reading after one frame, so the echoes pile up server-side.
        with open_socket(
            sidecar.ws_url("/ws/shootout/"), None, origin=None, max_queue=1, close_timeout=1
        ) as ws:
            try:
                for _ in range(frames):
                    ws.send(frame)
                    sent += 1
            except (ConnectionClosed, OSError):
                pass

    def flood_or_note_failure() -> None:
        try:
            flood()
        except BaseException as e:  # noqa: BLE001 - reported by the test below
            failure.append(e)

    watcher = threading.Thread(target=watch_memory, daemon=True)
    flooder = threading.Thread(target=flood_or_note_failure, daemon=True)
    watcher.start()
    flooder.start()
    flooder.join(timeout=120)
    stopped.set()
    watcher.join(timeout=5)
    assert not flooder.is_alive(), f"the flood neither finished nor was cut off ({sent} frames sent)"
    assert not failure, failure
    grown = (peak - before) / MIB
    print(f"sent {sent} frames ({sent * len(frame) / MIB:.0f} MiB), sidecar RSS grew {grown:.1f} MiB")
    # Without a cap the sidecar keeps every echo it owes (well over 64 MiB here); with the cap it
    # holds at most outbound_queue_bytes (1 MiB) for the peer, plus socket buffers. Not under
    # AddressSanitizer: its quarantine keeps every freed inbound frame (up to 256 MiB) resident,
    # so RSS says nothing there; the close below is still checked.
    if "asan" not in os.environ.get("TANDEM_BUILD_DIR", ""):
        assert grown < 32, f"the sidecar grew by {grown:.1f} MiB for one flooding peer"
    assert "event=shootout_slow_reader_closed" in sidecar.log()
    # The process carries on serving everyone else.
    with open_socket(sidecar.ws_url("/ws/shootout/"), None, origin=None) as ws:
        ws.send(json.dumps({"type": "echo", "payload": "still here"}))
        assert next_frame(ws, timeout=20)["payload"] == "still here"


def test_broadcasts_beyond_the_rate_are_refused_and_the_endpoint_is_logged_as_enabled(
    transactional_db: None, make_sidecar: Callable[..., SidecarProcess]
) -> None:
    sidecar = make_sidecar(
        bench_shootout_endpoint=True,
        test_echo_endpoint=True,
        bench_shootout_broadcast_rate=1,
        bench_shootout_broadcast_burst=5,
    )
    warnings = [line for line in sidecar.log().splitlines() if "event=bench_endpoint_enabled" in line]
    assert any("level=warn" in line and "endpoint=/ws/shootout/" in line for line in warnings), warnings
    assert any("level=warn" in line and "endpoint=/ws/echo/" in line for line in warnings), warnings
    with open_socket(sidecar.ws_url("/ws/shootout/"), None, origin=None) as ws:
        for n in range(20):
            ws.send(json.dumps({"type": "broadcast", "payload": n}))
        results = refused = 0
        while results + refused < 20:
            frame = next_frame(ws, timeout=20)
            if frame["type"] == "broadcastResult":
                results += 1
            elif frame["type"] == "error":
                assert frame["message"] == "rate_limited"
                refused += 1
        # The burst of 5, plus one per second the 20 take to be handled (a busy machine may stall
        # a few seconds), the rest refused.
        assert 5 <= results <= 12
        assert refused == 20 - results
