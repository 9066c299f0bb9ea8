"""Runs the Go load generator (bench/loadgen) and hands its JSON events to the driver as they
come, so server, Redis and PostgreSQL CPU can be sampled at each step's start and end."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

Event = dict[str, Any]


def write_plan(path: Path, sockets: list[dict[str, Any]], origin: str = "http://localhost") -> Path:
    path.write_text(json.dumps({"origin": origin, "sockets": sockets}))
    return path


async def run_loadgen(
    binary: Path,
    plan: Path,
    args: list[str],
    on_event: Callable[[Event, asyncio.subprocess.Process], Awaitable[None]] | None = None,
    timeout_s: float = 900,
) -> Event:
    """The loadgen's final `result` event. stderr (its progress) goes to ours."""
    process = await asyncio.create_subprocess_exec(
        str(binary), "-plan", str(plan), *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=sys.stderr,
    )
    result: Event | None = None

    async def consume() -> None:
        nonlocal result
        assert process.stdout is not None
        async for line in process.stdout:
            event = json.loads(line)
            if event["event"] == "result":
                result = event
            if on_event is not None:
                await on_event(event, process)

    try:
        await asyncio.wait_for(consume(), timeout_s)
        await asyncio.wait_for(process.wait(), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if process.returncode != 0 or result is None:
        raise RuntimeError(f"loadgen {args} exited with {process.returncode}")
    return result
