"""A fresh Django site on the installed wheel, with nothing of this repository on its path:
`manage.py check` passes, `migrate` creates Tandem's tables and SQL functions, `manage.py
tandem` starts the wheel's own sidecar (LD_LIBRARY_PATH empty: only the libraries the wheel
carries and the system's), and `manage.py tandem check` passes every hop against it: Redis,
health, readiness (which asks PostgreSQL for the SQL contract), a logged-in socket and a
group_send from Django arriving on it."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness.postgres_server import PostgresServer
from harness.redis_server import RedisServer, free_port

pytestmark = pytest.mark.timeout(1500)  # the wheel fixture may build it (conftest.py)

SETTINGS = """
SECRET_KEY = {secret!r}
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"  # as startproject writes it
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "channels",
    "tandem",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "fresh_urls"
TEMPLATES = [
    {{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {{"context_processors": ["django.template.context_processors.request"]}},
    }}
]
DATABASES = {{"default": {database!r}}}
CHANNEL_LAYERS = {{
    "default": {{"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {{"hosts": [{redis!r}]}}}}
}}
TANDEM = {{"listen": "127.0.0.1:{port}", "threads": 1}}
"""

URLS = """
from django.urls import include, path

urlpatterns = [path("tandem/", include("tandem.urls"))]
"""


@pytest.fixture
def site(tmp_path: Path, postgres_server: PostgresServer) -> Iterator[tuple[Path, int]]:
    """The site's folder (fresh_settings.py, fresh_urls.py) with its own database and Redis."""
    name = f"fresh_{secrets.token_hex(4)}"
    postgres_server.psql(f'CREATE DATABASE "{name}" OWNER "{postgres_server.user}"')
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    port = free_port()
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "fresh_settings.py").write_text(
        SETTINGS.format(
            secret=secrets.token_urlsafe(32),
            database=postgres_server.django_settings(name),
            redis=redis.url,
            port=port,
        )
    )
    (folder / "fresh_urls.py").write_text(URLS)
    try:
        yield folder, port
    finally:
        redis.stop()


def site_env() -> dict[str, str]:
    # Without the suite's PYTHONPATH (the dev tree); LD_LIBRARY_PATH empty: the sidecar must
    # find every library in the wheel or the system.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("TANDEM_")}
    return {**env, "DJANGO_SETTINGS_MODULE": "fresh_settings", "LD_LIBRARY_PATH": ""}


def wait_ready(port: int, sidecar: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60  # a busy two-core machine
    while time.monotonic() < deadline:
        if sidecar.poll() is not None:
            raise AssertionError(f"the sidecar exited with {sidecar.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"the sidecar was not ready in 60 s:\n{log.read_text()}")


@pytest.mark.packaging
def test_a_fresh_site_runs_the_wheels_sidecar_and_every_hop_passes(fresh_env: Path, site) -> None:
    folder, port = site
    python = fresh_env / "bin" / "python"

    def manage(*args: str) -> str:
        # `python -m django` from the site's folder: only the site and the fresh venv on the path.
        done = subprocess.run(
            [python, "-m", "django", *args],
            cwd=folder,
            env=site_env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"manage.py {args[0]}:\n{done.stdout}{done.stderr}"
        return done.stdout

    assert "no issues" in manage("check", "--fail-level", "WARNING")
    manage("migrate", "--no-input", "-v", "0")
    manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import User; User.objects.create_user('ann', password='pw')",
    )

    log = folder / "sidecar.log"
    with log.open("wb") as out:
        sidecar = subprocess.Popen(
            [python, "-m", "django", "tandem"],
            cwd=folder,
            env=site_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_ready(port, sidecar, log)
        report = manage("tandem", "check", "--user", "ann", "--timeout", "20")
        for hop in ("redis", "healthz", "readyz", "session", "websocket", "notification"):
            (line,) = [text for text in report.splitlines() if text[2:].startswith(f"{hop} ")]
            assert line.startswith("✓"), report
        # The process serving the socket is the wheel's binary, not a build tree's.
        executable = Path(f"/proc/{sidecar.pid}/exe").resolve()
        assert executable.is_relative_to(fresh_env.resolve()), executable
    finally:
        sidecar.terminate()
        try:
            sidecar.wait(timeout=30)
        except subprocess.TimeoutExpired:
            sidecar.kill()
            sidecar.wait()
