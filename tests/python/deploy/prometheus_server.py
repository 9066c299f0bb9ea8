"""Debian's Prometheus server on a free loopback port, scraping given targets every second, with
its storage in a throwaway directory; queried through its HTTP API."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from harness.redis_server import free_port


class PrometheusServer:
    def __init__(self, workdir: Path, targets: list[str]) -> None:
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.targets = targets
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> PrometheusServer:
        config = self.workdir / "prometheus.yml"
        targets = json.dumps(self.targets)
        config.write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            f"scrape_configs:\n  - job_name: tandem-sidecar\n    static_configs: [{{targets: {targets}}}]\n"
        )
        binary = shutil.which("prometheus") or "/usr/bin/prometheus"
        with (self.workdir / "prometheus.log").open("ab") as log:
            self.process = subprocess.Popen(
                [
                    binary,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={self.workdir / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--log.level=warn",
                ],
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.workdir / "prometheus.log").read_text())
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2):
                    return self
            except OSError:
                time.sleep(0.1)
        raise TimeoutError("prometheus not ready")

    def query(self, expr: str) -> dict[str, Any]:
        """The API's answer to an instant query (status, data or error)."""
        url = f"http://127.0.0.1:{self.port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return json.load(response)
        except urllib.error.HTTPError as refused:
            return json.load(refused)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
