"""The example's supervisor: a child that dies is started again, one stopped on purpose is not."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "examples"))

from supervisor import Supervisor


def sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def wait_until(condition, limit_s: float = 20) -> None:
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_killed_child_is_restarted() -> None:
    supervisor = Supervisor("sleeper", sleeper)
    first = supervisor.start()
    try:
        first.kill()
        wait_until(lambda: supervisor.restarts == 1 and supervisor.process.poll() is None)
        assert supervisor.process.pid != first.pid
    finally:
        supervisor.stop()


def test_a_child_stopped_on_purpose_stays_stopped() -> None:
    supervisor = Supervisor("sleeper", sleeper)
    supervisor.start()
    supervisor.stop()
    time.sleep(1)
    assert supervisor.restarts == 0
    assert supervisor.process.poll() is not None
