"""One step of `tandem check`: its outcome, its time, and how it is printed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


class HopFailed(Exception):
    """A step's own verdict; its message is the whole report line."""


@dataclass(frozen=True)
class Hop:
    name: str
    ok: bool | None  # None: not run, because an earlier hop it needs failed
    detail: str
    seconds: float = 0.0

    def line(self) -> str:
        mark = {True: "✓", False: "✗", None: "-"}[self.ok]
        timing = f"{self.seconds * 1000:8.1f} ms" if self.ok is not None else " " * 11
        return f"{mark} {self.name:<13} {timing}  {self.detail}"


def skipped(name: str, reason: str) -> Hop:
    return Hop(name, None, f"not run: {reason}")


async def attempt(name: str, step: Callable[[], Awaitable[str]], timeout: float) -> Hop:
    """Runs `step` (which returns a detail line or raises) within `timeout` seconds."""
    started = time.perf_counter()
    try:
        detail = await asyncio.wait_for(step(), timeout)
    except TimeoutError:
        return Hop(name, False, f"no answer within {timeout:g} s", time.perf_counter() - started)
    except Exception as error:  # noqa: BLE001 (every failure is a report line, never a traceback)
        return Hop(name, False, describe(error), time.perf_counter() - started)
    return Hop(name, True, detail, time.perf_counter() - started)


def describe(error: BaseException) -> str:
    if isinstance(error, HopFailed):
        return str(error)
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
