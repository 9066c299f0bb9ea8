"""Operations: /healthz, /readyz, Prometheus /metrics, and the drain on SIGTERM (1012, exit 0)."""

from __future__ import annotations

import contextlib
import signal
import time

from prometheus_client.parser import text_string_to_metric_families
from websockets.exceptions import ConnectionClosed
from wsclient import greeting, open_socket


def test_health_and_readiness_answer(world, sidecar) -> None:
    assert sidecar.get("/healthz") == (200, "ok\n")
    status, body = sidecar.get("/readyz")
    assert status == 200
    assert '"postgres":true' in body
    assert '"redis":true' in body


def test_metrics_parse_as_prometheus_text(world, sidecar) -> None:
    with open_socket(sidecar.ws_url("/ws/notifications/"), world.cookie(world.ann)) as ws:
        greeting(ws)
        status, text = sidecar.get("/metrics")
    assert status == 200
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert families["tandem_connections"].samples[0].value == 1
    assert families["tandem_connections_upgrading"].samples[0].value == 0  # open, so no longer upgrading
    assert "tandem_errors" in families
    assert "tandem_layer_send_seconds" in families
    assert "tandem_postgres_breaker_state" in families


def test_sigterm_drains_with_1012_and_exits_0(world, sidecar) -> None:
    cookie = world.cookie(world.ann)
    codes = []
    with contextlib.ExitStack() as stack:
        sockets = [
            stack.enter_context(open_socket(sidecar.ws_url("/ws/notifications/"), cookie)) for _ in range(3)
        ]
        for ws in sockets:
            greeting(ws)
        started = time.monotonic()
        sidecar.process.send_signal(signal.SIGTERM)
        for ws in sockets:
            try:
                ws.recv(timeout=10)
            except ConnectionClosed as closed:
                codes.append(closed.rcvd.code if closed.rcvd else None)
        assert sidecar.process.wait(timeout=15) == 0
        drain_s = time.monotonic() - started
    print(f"\ndrain with 3 sockets: {drain_s * 1000:.0f} ms")
    assert codes == [1012, 1012, 1012]
    assert "event=drain_started" in sidecar.log()
    # docs/deployment.md: each I/O thread logs where its part of the drain went.
    assert "event=drain_sockets_closed ms=" in sidecar.log()
    assert "event=worker_wound_down publishes_ms=" in sidecar.log()
