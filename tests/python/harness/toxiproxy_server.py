"""Toxiproxy (Shopify's TCP fault proxy, built from the Go module proxy by
scripts/install-deps.sh) on loopback: proxies in front of a sidecar, Redis or PostgreSQL whose
links the fault tests slow down, throttle or cut through its HTTP API."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Any

from harness.redis_server import free_port

ROOT = Path(__file__).resolve().parents[3]


def toxiproxy_binary() -> Path:
    """TANDEM_TOXIPROXY, else build/tools/bin/toxiproxy-server (install-deps.sh), else PATH."""
    candidates = [
        os.environ.get("TANDEM_TOXIPROXY", ""),
        str(ROOT / "build" / "tools" / "bin" / "toxiproxy-server"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    found = shutil.which("toxiproxy-server")
    if found is None:
        raise RuntimeError("toxiproxy-server is missing: scripts/install-deps.sh builds it with Go")
    return Path(found)


class ToxiproxyServer:
    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.api_port = free_port()
        self.log_path = directory / "toxiproxy.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> ToxiproxyServer:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(toxiproxy_binary()), "-host", "127.0.0.1", "-port", str(self.api_port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                self._call("GET", "/version")
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"toxiproxy did not start: {self.log_path.read_text(errors='replace')}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        if self._log is not None:
            self._log.close()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.api_port}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
        try:
            return json.loads(text) if text else None
        except ValueError:
            return text.decode(errors="replace")  # /version answers plain text

    def proxy(self, name: str, upstream_port: int) -> int:
        """A new proxy to 127.0.0.1:<upstream_port>; returns the port to connect to instead."""
        port = free_port()
        self._call(
            "POST",
            "/proxies",
            {
                "name": name,
                "listen": f"127.0.0.1:{port}",
                "upstream": f"127.0.0.1:{upstream_port}",
                "enabled": True,
            },
        )
        return port

    def set_enabled(self, name: str, enabled: bool) -> None:
        """Disabling closes every connection through the proxy and refuses new ones."""
        self._call("POST", f"/proxies/{name}", {"enabled": enabled})

    def add_toxic(
        self, proxy: str, toxic: str, kind: str, stream: str = "downstream", **attributes: Any
    ) -> None:
        self._call(
            "POST",
            f"/proxies/{proxy}/toxics",
            {
                "name": toxic,
                "type": kind,
                "stream": stream,
                "toxicity": 1.0,
                "attributes": attributes,
            },
        )

    def remove_toxic(self, proxy: str, toxic: str) -> None:
        try:
            self._call("DELETE", f"/proxies/{proxy}/toxics/{toxic}")
        except urllib.error.HTTPError as error:
            if error.code != 404:
                raise
