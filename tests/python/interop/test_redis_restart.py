"""A Redis restart in the middle of traffic: the C++ layer reconnects by itself, traffic resumes,
and nothing Redis acknowledged is lost (the server fsyncs every write)."""

from __future__ import annotations

import time
from pathlib import Path

from harness.python_layer import python_layer, receive, run
from harness.redis_server import RedisServer


def test_traffic_resumes_after_a_redis_restart_without_losing_acknowledged_messages(
    tmp_path: Path, make_peer
) -> None:
    server = RedisServer(tmp_path / "redis", durable=True)
    server.start()
    try:
        peer = make_peer([server])
        cpp_channel = peer.new_channel()
        layer = python_layer([server])
        py_channel = run(layer.new_channel())
        acknowledged = [i for i in range(20) if peer.send(py_channel, {"type": "n", "i": i}) == "ok"]
        assert acknowledged == list(range(20))

        server.restart()
        statuses = []
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:  # bounded: the layer must come back well within this
            status = peer.send(py_channel, {"type": "n", "i": 20})
            statuses.append(status)
            if status == "ok":
                break
            time.sleep(0.1)
        assert statuses[-1] == "ok"
        assert set(statuses) <= {"ok", "unavailable"}  # refused quickly while down, never hung

        async def drain() -> list[int]:
            fresh = python_layer([server])
            fresh.client_prefix = layer.client_prefix  # the same Python process queue
            return [(await receive(fresh, py_channel))["i"] for _ in range(21)]

        assert run(drain()) == list(range(21))
        run(python_layer([server]).send(cpp_channel, {"type": "after.restart"}))
        assert peer.receive(timeout=10) == (cpp_channel, {"type": "after.restart"})
    finally:
        server.stop()
