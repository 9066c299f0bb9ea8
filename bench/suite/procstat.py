"""CPU seconds and RSS of processes, read from /proc: the per-process cost columns of the tables."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()  # after "pid (comm) "


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def cpu_seconds(pid: int, tree: bool = False) -> float:
    """User+system CPU of `pid`; with `tree`, also of its live descendants and of the children it
    has already reaped (PostgreSQL's backends come and go during a run)."""
    try:
        f = _stat_fields(pid)
    except OSError:
        return 0.0
    # fields after comm: state=0 ... utime=11 stime=12 cutime=13 cstime=14
    total = int(f[11]) + int(f[12])
    if tree:
        total += int(f[13]) + int(f[14])
        stack = _children(pid)
        while stack:
            child = stack.pop()
            try:
                cf = _stat_fields(child)
                stack += _children(child)
            except OSError:
                continue
            total += int(cf[11]) + int(cf[12])
    return total / TICKS


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
