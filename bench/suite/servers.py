"""The servers under test, each started on loopback against the same PostgreSQL and Redis:
Tandem (one or more sidecar processes) and the Channels baselines (Daphne and uvicorn running
tests/python/testproject's consumers with bench/suite/baseline_settings.py)."""

from __future__ import annotations

import abc
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def http_status(port: int, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


def wait_status(port: int, path: str, ok: set[int], process: subprocess.Popen[bytes], limit_s: float = 60) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        if http_status(port, path) in ok:
            return
        time.sleep(0.005)
    raise TimeoutError(f"nothing ready on port {port}{path}")


def wait_exit(process: subprocess.Popen[bytes], started: float, limit_s: float) -> tuple[float, int | None]:
    """Milliseconds from `started` until `process` exited, and its status (None: killed at `limit_s`).
    One SIGTERM only: a second one tells Tandem to exit at once instead of draining."""
    try:
        code: int | None = process.wait(max(0.0, limit_s - (time.perf_counter() - started)))
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        code = None
    return (time.perf_counter() - started) * 1000, code


class Server(abc.ABC):
    name = ""
    processes: list[subprocess.Popen[bytes]]
    ports: list[int]
    shootout = False

    @abc.abstractmethod
    def start(self) -> float:
        """Starts every process; milliseconds from spawn until all are ready."""

    def url(self, path: str, process: int = 0) -> str:
        return f"ws://127.0.0.1:{self.ports[process % len(self.ports)]}{path}"

    def pids(self) -> list[int]:
        return [p.pid for p in self.processes if p.poll() is None]

    def metrics(self) -> dict[str, float]:
        """The server's own counters worth reporting beside a workload (Tandem's channel layer)."""
        return {}

    def stop(self, limit_s: float = 60) -> tuple[float, list[int | None]]:
        """SIGTERM to every process at once; the slowest exit in ms and the exit statuses (None:
        still running after `limit_s`, then killed)."""
        started = time.perf_counter()
        for p in self.processes:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        results = [wait_exit(p, started, limit_s) for p in self.processes]
        return max(ms for ms, _ in results), [code for _, code in results]


class TandemServer(Server):
    def __init__(self, name: str, work: Path, count: int, threads: int, common: dict[str, Any]) -> None:
        from harness.sidecar_process import SidecarProcess

        self.name = name
        self.shootout = True
        unlimited = {"rate_messages_per_second": 1e6, "rate_burst": 1e6, "max_connections_per_user": 1_000_000}
        self.sidecars = [
            SidecarProcess(work / f"{name}-{i}".replace(" ", "_"), threads=threads, log_level="warn",
                           bench_shootout_endpoint=True, **unlimited, **common)
            for i in range(count)
        ]
        self.ports = [s.port for s in self.sidecars]
        self.processes = []

    def start(self) -> float:
        started = time.perf_counter()
        self.processes = []
        for s in self.sidecars:
            log = s.log_path.open("ab")
            s.process = subprocess.Popen(s.command(), env=s.env(), stdout=log, stderr=log)
            self.processes.append(s.process)
        for s in self.sidecars:
            assert s.process is not None
            wait_status(s.port, "/readyz", {200}, s.process)
        return (time.perf_counter() - started) * 1000


    def metrics(self) -> dict[str, float]:
        """The channel layer's counters (/metrics), summed over the processes: full queues met,
        messages held back for them, events dropped. A workload's "missing" reads with them."""
        totals: dict[str, float] = {}
        for port in self.ports:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as reply:
                    text = reply.read().decode()
            except OSError:
                continue
            for line in text.splitlines():
                name, _, value = line.partition(" ")
                if name.startswith("tandem_layer_") and "{" not in name and value:
                    totals[name] = totals.get(name, 0.0) + float(value)
        return totals


class ChannelsServer(Server):
    """One ASGI server process running the test project's Channels consumers."""

    def __init__(self, name: str, kind: str, work: Path, pg_url: str, redis_url: str,
                 settings_module: str = "baseline_settings") -> None:
        from harness.redis_server import free_port

        self.name = name
        self.kind = kind
        self.work = work
        self.ports = [free_port()]
        self.processes = []
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                [str(ROOT / "bench" / "suite"), str(ROOT / "tests" / "python"), str(ROOT / "django_integration"),
                 os.environ.get("PYTHONPATH", "")]
            ),
            "DJANGO_SETTINGS_MODULE": settings_module,
            "TANDEM_TEST_DATABASE_URL": pg_url,
            "TANDEM_TEST_REDIS_URL": redis_url,
        }

    def command(self) -> list[str]:
        port = str(self.ports[0])
        app = "testproject.asgi:application"
        if self.kind == "daphne":
            return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", port, app]
        return [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", port, "--no-access-log",
                "--log-level", "warning", app]

    def start(self) -> float:
        started = time.perf_counter()
        log = (self.work / f"{self.kind}-{self.ports[0]}.log").open("ab")
        process = subprocess.Popen(self.command(), env=self.env, stdout=log, stderr=log)
        self.processes = [process]
        wait_status(self.ports[0], "/accounts/login/", {200, 400, 404}, process)
        return (time.perf_counter() - started) * 1000
