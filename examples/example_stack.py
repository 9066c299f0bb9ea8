"""The example chat site with everything it needs, started on loopback: a throwaway PostgreSQL
and Redis (the same servers the test suite uses), the Django site (migrated, demo users
seeded) and the sidecar through `manage.py tandem`, kept running by a supervisor that restarts
it when it dies (the database and Redis keep their data). Used by examples/run.py (the README's first
command) and by the browser tests."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "examples" / "chatsite"
sys.path.insert(0, str(ROOT / "tests" / "python"))

from harness.postgres_server import PostgresServer
from harness.redis_server import RedisServer, free_port
from supervisor import Supervisor


def wait_for_http(url: str, process: subprocess.Popen[bytes], limit_s: float = 30) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # any answer means it is serving
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing answers at {url}")


class ExampleStack:
    def __init__(self, *, port: int = 0, sidecar_port: int = 0, env: dict[str, str] | None = None) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="tandem-example-"))
        self.port = port or free_port()
        self.sidecar_port = sidecar_port or free_port()
        self.extra_env = env or {}
        self.pg = PostgresServer(dbname="chatsite")
        self.redis = RedisServer(self.work / "redis")
        self.django: subprocess.Popen[bytes] | None = None
        self.supervisor = Supervisor("sidecar", lambda: self.spawn("sidecar", "tandem"))
        self.logs: list[IO[bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        build = Path(os.environ.get("TANDEM_BUILD_DIR", ROOT / "build" / "dev"))
        if not build.is_absolute():
            build = ROOT / build
        python_path = [str(SITE), str(ROOT / "django_integration"), str(build / "python")]
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")},
            "PYTHONPATH": os.pathsep.join(python_path),
            "DJANGO_SETTINGS_MODULE": "chatsite.settings",
            "CHATSITE_DATABASE_URL": self.pg.url(),
            "CHATSITE_REDIS_URL": self.redis.url,
            "CHATSITE_SIDECAR_URL": f"ws://127.0.0.1:{self.sidecar_port}",
            "CHATSITE_SIDECAR_LISTEN": f"127.0.0.1:{self.sidecar_port}",
            "CHATSITE_SIDECAR": str(build / "sidecar" / "app" / "tandem-sidecar"),
            **self.extra_env,
        }

    def manage(self, *args: str) -> None:
        subprocess.run([sys.executable, str(SITE / "manage.py"), *args], env=self.env(), check=True)

    def spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.work / f"{name}.log").open("ab")
        self.logs.append(log)
        return subprocess.Popen(
            [sys.executable, str(SITE / "manage.py"), *args], env=self.env(), stdout=log, stderr=log
        )

    def start(self, *, seed_history: int = 3) -> ExampleStack:
        self.pg.start()
        self.redis.start()
        self.manage("migrate", "--verbosity", "0")
        self.manage("seed_demo", "--history", str(seed_history))
        self.django = self.spawn(
            "django", "runserver", "--noreload", "--nothreading", f"127.0.0.1:{self.port}"
        )
        self.start_sidecar()
        wait_for_http(self.url + "/accounts/login/", self.django)
        return self

    @property
    def sidecar(self) -> subprocess.Popen[bytes] | None:
        return self.supervisor.process

    def start_sidecar(self) -> None:
        """Starts the sidecar under the supervisor, which restarts it whenever it dies."""
        wait_for_http(f"http://127.0.0.1:{self.sidecar_port}/readyz", self.supervisor.start())

    def stop_sidecar(self, *, kill: bool = False) -> None:
        """An outage: the sidecar stops and stays stopped until start_sidecar()."""
        self.supervisor.stop(kill=kill)

    def crash_sidecar(self) -> int:
        """kill -9 behind the supervisor's back; returns the pid that died."""
        process = self.supervisor.process
        assert process is not None
        process.kill()
        return process.pid

    def wait_sidecar_ready(self, limit_s: float = 30) -> None:
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            process = self.supervisor.process
            if process is not None and process.poll() is None:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{self.sidecar_port}/readyz", timeout=2)
                    return
                except OSError:
                    pass
            time.sleep(0.1)
        raise TimeoutError("the sidecar did not come back")

    def log(self, name: str) -> str:
        path = self.work / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        self.supervisor.stop()
        for process in (self.django,):
            if process and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
        for log in self.logs:
            log.close()
        self.redis.stop()
        self.pg.stop()
