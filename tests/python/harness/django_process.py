"""Django management commands of the test project in child processes (runworker, tandem), with
the Redis and PostgreSQL the current test's settings point at."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO
from urllib.parse import quote

from django.conf import settings

TESTS = Path(__file__).resolve().parents[1]


def database_url() -> str:
    """The current settings' default database as the URL testproject.settings reads back."""
    db = settings.DATABASES["default"]
    credentials = f"{quote(db['USER'], safe='')}:{quote(db['PASSWORD'], safe='')}@" if db["USER"] else ""
    return f"postgresql://{credentials}{db['HOST']}:{db['PORT']}/{quote(db['NAME'], safe='')}"


def _first_redis_url() -> str:
    """The first channel-layer host's URL (a host may be given as {"address": ...})."""
    host = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]
    return str(host["address"]) if isinstance(host, dict) else str(host)


def django_env(**extra: str) -> dict[str, str]:
    """This process's environment plus what a child needs to see the same project and services."""
    path = [str(TESTS), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(path),
        "DJANGO_SETTINGS_MODULE": "testproject.settings",
        "TANDEM_TEST_REDIS_URL": _first_redis_url(),
        "TANDEM_TEST_DATABASE_URL": database_url(),
    }
    env.update(extra)
    return env


def start_manage(*args: str, log: IO[bytes], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """`python -m django <args>` (what manage.py runs) against the test project."""
    return subprocess.Popen(
        [sys.executable, "-m", "django", *args],
        env=env or django_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if the process does not exit in 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
