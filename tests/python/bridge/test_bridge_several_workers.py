"""Several `runworker tandem.bridge` processes share the bridge channel (docs/protocol.md, "The
bridge": running several workers): every frame is answered, the work is spread over the
workers, and (channels_redis' in-flight backup queue being per channel, not per process,
django/channels_redis#163) a frame may be handled by two of them: at least once, not exactly
once, which is why the docs ask for idempotent handlers when several workers share a channel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness.django_process import django_env, start_manage, stop
from harness.python_layer import python_layer, receive, run
from harness.redis_server import RedisServer

FRAMES = 40


@pytest.fixture
def second_worker(bridge_redis: RedisServer, bridge_worker: Path, tmp_path: Path) -> Iterator[None]:
    with (tmp_path / "second-worker.log").open("wb") as log:
        worker = start_manage(
            "runworker", "tandem.bridge", log=log, env=django_env(TANDEM_TEST_REDIS_URL=bridge_redis.url)
        )
        try:
            yield
        finally:
            stop(worker)


def test_each_frame_is_answered_once_by_one_of_several_workers(
    bridge_redis: RedisServer, second_worker: None
) -> None:
    layer = python_layer([bridge_redis])

    async def exchange() -> list[dict[str, Any]]:
        reply_channel = await layer.new_channel()

        async def ask(ref: str, timeout: float) -> dict[str, Any]:
            event = {
                "type": "tandem.client_frame",
                "frame": {"type": "whoami", "ref": ref},
                "user_id": 7,
                "chat_id": None,
                "path": "/ws/notifications/",
                "reply_channel": reply_channel,
            }
            await layer.send("tandem.bridge", event)
            return (await receive(layer, reply_channel, timeout=timeout))["frame"]

        # Both workers are up once each has answered (Django takes a while to start under load).
        pids: set[int] = set()
        for attempt in range(200):
            pids.add((await ask(f"warm-{attempt}", 60))["pid"])
            if len(pids) == 2:
                break
        assert len(pids) == 2, "the second worker never answered"
        for i in range(FRAMES):
            await layer.send(
                "tandem.bridge",
                {
                    "type": "tandem.client_frame",
                    "frame": {"type": "whoami", "ref": f"r{i}"},
                    "user_id": 7,
                    "chat_id": None,
                    "path": "/ws/notifications/",
                    "reply_channel": reply_channel,
                },
            )
        # A warm-up frame handled twice (at least once, see above) may be answered again now:
        # its late copy is not one of these frames' replies.
        replies: list[dict[str, Any]] = []
        while not expected <= {r["ref"] for r in replies}:
            reply = (await receive(layer, reply_channel, timeout=60))["frame"]
            if not str(reply["ref"]).startswith("warm-"):
                replies.append(reply)
        return replies

    expected = {f"r{i}" for i in range(FRAMES)}
    replies = run(exchange())
    assert {r["ref"] for r in replies} == expected  # none lost
    assert len({r["pid"] for r in replies}) == 2  # both workers took a share
    print(f"{len(replies) - FRAMES} of {FRAMES} frames were handled twice")
