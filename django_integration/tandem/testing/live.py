"""A real tandem-sidecar for a site's end-to-end tests, configured from the site's settings
exactly as `manage.py tandem` configures it, on a free loopback port (the idea of Channels'
ChannelsLiveServerTestCase). Needs the site's PostgreSQL and Redis to be running."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from typing import IO, Any

from django.conf import settings
from django.test import TransactionTestCase

from tandem.conf import tandem_settings
from tandem.sidecar.config import sidecar_config
from tandem.sidecar.launch import find_sidecar, sidecar_environment


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LiveSidecar:
    """`start()` runs the binary and waits for /readyz; `stop()` ends it (SIGTERM, then kill)."""

    def __init__(self, binary: str | None = None, ready_timeout: float = 60, **overrides: Any) -> None:
        self.binary = find_sidecar(binary, tandem_settings.sidecar or None)
        self.port = free_port()
        self.ready_timeout = ready_timeout
        self.config = {**sidecar_config(settings), "listen": f"127.0.0.1:{self.port}", **overrides}
        self.process: subprocess.Popen[bytes] | None = None
        self.log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        """The WebSocket base URL: url + "/ws/chat/1/"."""
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> LiveSidecar:
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - outlives this call; stop() closes it
        self.process = subprocess.Popen(
            [self.binary],
            env=sidecar_environment(self.config, os.environ),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + self.ready_timeout
        while self._readyz() != 200:
            if self.process.poll() is not None or time.monotonic() > deadline:
                output = self.output()
                self.stop()
                raise RuntimeError(f"tandem-sidecar did not become ready:\n{output}")
            time.sleep(0.1)
        return self

    def _readyz(self) -> int:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except OSError:
            return 0

    def output(self) -> str:
        if self.log is None:
            return ""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log is not None:
            self.log.close()
            self.log = None


class TandemLiveServerTestCase(TransactionTestCase):
    """A TransactionTestCase (rows are committed, so the sidecar sees them) with a running
    sidecar for the whole class: `self.sidecar_url` is its WebSocket base URL."""

    sidecar_binary: str | None = None
    sidecar_overrides: dict[str, Any] = {}  # noqa: RUF012 - read only, per subclass
    sidecar: LiveSidecar

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.sidecar = LiveSidecar(cls.sidecar_binary, **cls.sidecar_overrides).start()
        cls.addClassCleanup(cls.sidecar.stop)

    @property
    def sidecar_url(self) -> str:
        return self.sidecar.url
