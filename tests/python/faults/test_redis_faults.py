"""Row 1: Redis restarted empty mid-traffic, and paused (SIGSTOP) for 10 s and for 20 s, both
longer than the 6 s presence lease the matrix configures: no acknowledged message is lost or
doubled, no socket is closed, and presence is right for every user afterwards."""

from __future__ import annotations

import os
import signal
import time

import pytest
from faults.matrix import FaultWorld, Traffic, check_row, run_row


def restart_redis(world: FaultWorld, traffic: Traffic) -> None:
    world.redis.restart()


def pause_redis(seconds: float):
    def fault(world: FaultWorld, traffic: Traffic) -> None:
        assert world.redis.process is not None
        pid = world.redis.process.pid
        os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(seconds)
        finally:
            os.kill(pid, signal.SIGCONT)

    return fault


def test_redis_restarted_empty_mid_traffic(fault_world, capsys) -> None:
    check_row(run_row(fault_world, "1a Redis restarted empty", restart_redis), capsys)


@pytest.mark.parametrize("seconds", [10, 20])
def test_redis_paused(fault_world, capsys, seconds) -> None:
    check_row(run_row(fault_world, f"1b Redis paused {seconds} s", pause_redis(seconds)), capsys)
