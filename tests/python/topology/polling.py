"""Waiting for a condition on a busy machine: poll it, with a generous limit."""

from __future__ import annotations

import time
from collections.abc import Callable


def poll(condition: Callable[[], bool], within_s: float, what: str) -> float:
    """Seconds until `condition` held; fails after `within_s`."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > within_s:
            raise AssertionError(f"{what}: not within {within_s} s")
        time.sleep(0.05)
    return time.monotonic() - started
