"""Debian's nginx in front of several sidecar processes, routed exactly as examples/nginx.conf
routes: its `tandem_sidecar` upstream directives (least_conn) and its `location /ws/` block are
copied, only the server lines and the listen port change, so the test proves the shipped file."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

from harness.redis_server import free_port

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "nginx.conf"


def block(text: str, opening: str) -> str:
    """The body of the first `opening { ... }` block, nested braces included."""
    start = text.index(opening)
    depth, body_start = 0, text.index("{", start)
    for i in range(body_start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[body_start + 1 : i]
    raise ValueError(f"unclosed block {opening!r}")


def example_routing(upstreams: list[int]) -> tuple[str, str]:
    """(upstream body with our server lines, the `location /ws/` block) from the example."""
    text = re.sub(r"#[^\n]*", "", EXAMPLE.read_text())
    upstream = re.sub(r"\s*server\s+[^;]+;", "", block(text, "upstream tandem_sidecar"))
    servers = "".join(f"\n    server 127.0.0.1:{port};" for port in upstreams)
    return upstream + servers + "\n", "location /ws/ {" + block(text, "location /ws/") + "}"


class NginxProxy:
    def __init__(self, workdir: Path, upstreams: list[int]) -> None:
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.upstreams = upstreams
        self.process: subprocess.Popen[bytes] | None = None

    def config(self) -> str:
        upstream, location = example_routing(self.upstreams)
        work = self.workdir
        return f"""
worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/error.log info;
events {{ worker_connections 4096; }}
http {{
    access_log {work}/access.log;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    upstream tandem_sidecar {{{upstream}}}
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ""      close;
    }}
    server {{
        listen 127.0.0.1:{self.port};
        {location}
    }}
}}
"""

    def start(self) -> NginxProxy:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        conf = self.workdir / "nginx.conf"
        conf.write_text(self.config())
        subprocess.run(
            [binary, "-t", "-c", str(conf), "-p", str(self.workdir)], check=True, capture_output=True
        )
        with (self.workdir / "stderr.log").open("ab") as stderr:
            self.process = subprocess.Popen(
                [binary, "-c", str(conf), "-p", str(self.workdir)], stdout=subprocess.DEVNULL, stderr=stderr
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.log()}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        raise TimeoutError(f"nginx does not listen: {self.log()}")

    def ws_url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def log(self) -> str:
        path = self.workdir / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # nginx's fast shutdown
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
