"""Debian's HAProxy in front of sidecar processes, with the backend that docs/deployment.md
recommends (copied from its ```haproxy block: leastconn, httpchk on /readyz, the check timing),
only the server lines changed: each sidecar here has its own WebSocket and admin ports."""

from __future__ import annotations

import csv
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

from harness.redis_server import free_port

ROOT = Path(__file__).resolve().parents[3]
GUIDE = ROOT / "docs" / "deployment.md"


def documented_backend(upstreams: list[tuple[int, int]]) -> str:
    """The guide's backend for (WebSocket port, admin port) pairs."""
    block = re.search(r"```haproxy\n(.*?)```", GUIDE.read_text(), re.DOTALL)
    assert block, "docs/deployment.md has no haproxy example"
    lines = [line for line in block.group(1).splitlines() if not line.strip().startswith("server ")]
    lines = [line.replace(" port 9090", "") for line in lines]  # one admin port per server below
    servers = [f"    server s{i} 127.0.0.1:{ws} port {admin}" for i, (ws, admin) in enumerate(upstreams)]
    return "\n".join(lines + servers) + "\n"


class HaproxyProxy:
    def __init__(self, workdir: Path, upstreams: list[tuple[int, int]]) -> None:
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.upstreams = upstreams
        self.stats_socket = workdir / "admin.sock"
        self.process: subprocess.Popen[bytes] | None = None

    def config(self) -> str:
        return f"""global
    stats socket {self.stats_socket} mode 600 level admin
defaults
    mode http
    timeout connect 2s
    timeout client 75s
    timeout server 75s
frontend websockets
    bind 127.0.0.1:{self.port}
    default_backend tandem_sidecar
{documented_backend(self.upstreams)}"""

    def start(self) -> HaproxyProxy:
        binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
        conf = self.workdir / "haproxy.cfg"
        conf.write_text(self.config())
        subprocess.run([binary, "-c", "-f", str(conf)], check=True, capture_output=True)
        with (self.workdir / "haproxy.log").open("ab") as log:
            self.process = subprocess.Popen([binary, "-db", "-f", str(conf)], stdout=log, stderr=log)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("haproxy exited: " + (self.workdir / "haproxy.log").read_text())
            if self.stats_socket.exists():
                return self
            time.sleep(0.05)
        raise TimeoutError("haproxy did not start")

    def servers(self) -> dict[str, dict[str, str]]:
        """`show stat` for the backend's servers: status (UP, DOWN, ...) and last check result."""
        with socket.socket(socket.AF_UNIX) as admin:
            admin.connect(str(self.stats_socket))
            admin.sendall(b"show stat\n")
            chunks = []
            while chunk := admin.recv(65536):
                chunks.append(chunk)
        rows = csv.DictReader(b"".join(chunks).decode().lstrip("# ").splitlines())
        return {
            row["svname"]: row
            for row in rows
            if row["pxname"] == "tandem_sidecar" and row["svname"].startswith("s")
        }

    def ws_url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
