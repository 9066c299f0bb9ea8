"""The real tandem-sidecar binary in a child process, configured through TANDEM_* environment
variables exactly as `manage.py tandem` does, with its log kept for assertions."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from harness.redis_server import free_port

ROOT = Path(__file__).resolve().parents[3]


def sidecar_binary() -> Path:
    build = Path(os.environ.get("TANDEM_BUILD_DIR", ROOT / "build" / "dev"))
    if not build.is_absolute():
        build = ROOT / build
    return build / "sidecar" / "app" / "tandem-sidecar"


class SidecarProcess:
    def __init__(
        self, workdir: Path, *, rlimits: dict[str, tuple[int, int]] | None = None, **config: Any
    ) -> None:
        """`rlimits` ({"stack" or "nofile" or another prlimit name: (soft, hard)}) are set before it starts:
        a small RLIMIT_STACK (glibc uses it for threads' stacks too) makes deep recursion fail at
        sizes an attacker can send; a small RLIMIT_NOFILE stands for a site's default 1024."""
        self.workdir = workdir
        self.rlimits = rlimits or {}
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        # TANDEM_TEST_THREADS: more I/O threads per process for the ThreadSanitizer run.
        threads = int(os.environ.get("TANDEM_TEST_THREADS", "2"))
        self.config: dict[str, Any] = {"listen": f"127.0.0.1:{self.port}", "threads": threads, **config}
        self.log_path = workdir / "sidecar.log"
        self.process: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
        for key, value in self.config.items():
            if isinstance(value, list):
                text = json.dumps(value)
            elif isinstance(value, bool):
                text = "true" if value else "false"
            else:
                text = str(value)
            env[f"TANDEM_{key.upper()}"] = text
        return env

    def start(self, wait_ready: bool = True) -> SidecarProcess:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(self.command(), env=self.env(), stdout=log, stderr=log)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sidecar exited with {self.process.returncode}:\n{self.log()}")
            status, _ = self.get("/readyz" if wait_ready else "/healthz")
            if status == 200:
                return self
            time.sleep(0.05)
        raise TimeoutError(f"sidecar not ready:\n{self.log()}")

    def command(self) -> list[str]:
        """The binary, through util-linux's prlimit (which execs it) when limits are asked for."""
        limits = [f"--{name}={soft}:{hard}" for name, (soft, hard) in self.rlimits.items()]
        return (["prlimit", *limits] if limits else []) + [str(sidecar_binary())]

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
        except OSError:
            return 0, ""

    def metric(self, name: str) -> float:
        """The value of an unlabelled family on /metrics; fails when it is not exported."""
        status, text = self.get("/metrics")
        assert status == 200
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        raise AssertionError(f"{name} is not exported")

    def metric_above(self, name: str, above: float, timeout: float = 30.0) -> float:
        """metric(name) once it passes `above` (each I/O thread publishes its counters once a
        second), or its value when `timeout` runs out."""
        deadline = time.monotonic() + timeout
        while (value := self.metric(name)) <= above and time.monotonic() < deadline:
            time.sleep(0.2)
        return value

    def ws_url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_log(self, text: str, timeout: float = 20) -> bool:
        """True once the log holds `text`; False if it did not within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while text not in self.log() and time.monotonic() < deadline:
            time.sleep(0.05)
        return text in self.log()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode
