"""A log reader that stalls (stderr is a pipe nobody reads, as with a stuck log shipper) must not
stall chat: threads only queue their lines for one log thread, and when the queue is full the
oldest lines are dropped and counted (docs/configuration.md, `log_queue_lines`)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from harness.postgres_server import PostgresServer
from harness.redis_server import RedisServer
from harness.sidecar_process import SidecarProcess
from wsclient import frame_of_type, greeting, open_socket

PIPE_BYTES = 64 * 1024  # Linux's default pipe capacity


def drain(reader: int) -> threading.Thread:
    """Reads the pipe to its end in the background, so the sidecar can write out and exit."""

    def run() -> None:
        os.set_blocking(reader, True)
        while os.read(reader, 65536):
            pass

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_log_reader_that_stalls_does_not_stall_the_sidecar(
    world: Any,
    tmp_path: Path,
    postgres_server: PostgresServer,
    channel_layer_redis: RedisServer,
    settings: Any,
) -> None:
    from django.db import connection

    sidecar = SidecarProcess(
        tmp_path / "stalled-log",
        database=postgres_server.conninfo(connection.settings_dict["NAME"]),
        redis_hosts=[channel_layer_redis.url],
        secret_key=settings.SECRET_KEY,
        allowed_hosts=list(settings.ALLOWED_HOSTS),
        log_level="debug",
        log_queue_lines=64,
    )
    # The log "file" is a pipe the test holds open and does not read.
    os.mkfifo(sidecar.log_path)
    reader = os.open(sidecar.log_path, os.O_RDONLY | os.O_NONBLOCK)
    draining: threading.Thread | None = None
    try:
        sidecar.start()
        url = sidecar.ws_url("/ws/notifications/")
        # Each socket logs a few lines of about 150 bytes: enough sockets to overfill the pipe
        # several times over. With a blocking logger an I/O thread stops in write(2) here and
        # the next handshake never completes.
        for i in range(4 * PIPE_BYTES // 300):
            with open_socket(url, world.cookie(world.ann if i % 2 else world.bob)) as ws:
                greeting(ws)
        with open_socket(url, world.cookie(world.ann)) as ws:
            greeting(ws)
            ws.send(json.dumps({"type": "ping", "ref": "still-here"}))
            assert frame_of_type(ws, "pong") == {"type": "pong", "ref": "still-here"}
        assert sidecar.get("/healthz")[0] == 200
        assert sidecar.metric("tandem_log_lines_dropped_total") > 0
    finally:
        draining = drain(reader)
        assert sidecar.stop() == 0
        draining.join(timeout=30)
        os.close(reader)
