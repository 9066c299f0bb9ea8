"""Real Redis servers for tests: each on a free loopback port with a throwaway directory."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import redis


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class TlsFiles:
    """PEM files for a TLS redis-server: its certificate and key, and the CA it trusts for
    client certificates (None: clients need none)."""

    cert: Path
    key: Path
    client_ca: Path | None = None


class RedisServer:
    """A redis-server process. With `durable`, every write is fsynced to an append-only file,
    so a restart keeps what Redis acknowledged. With `tls`, it listens for TLS only (the
    harness' own client then trusts `client_tls`: redis-py SSL keywords)."""

    def __init__(
        self,
        directory: Path,
        *,
        durable: bool = False,
        password: str = "",
        unix_socket: bool = False,
        tls: TlsFiles | None = None,
        client_tls: dict[str, Any] | None = None,
    ) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.durable = durable
        self.password = password
        self.socket_path = directory / "redis.sock" if unix_socket else None
        self.tls = tls
        self.client_tls = client_tls or {}
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._clients: list[redis.Redis] = []

    def url_for(self, db: int = 0) -> str:
        credentials = f":{self.password}@" if self.password else ""
        return f"redis://{credentials}127.0.0.1:{self.port}/{db}"

    @property
    def url(self) -> str:
        return self.url_for(0)

    @property
    def unix_url(self) -> str:
        assert self.socket_path is not None
        password = f"&password={self.password}" if self.password else ""
        return f"unix://{self.socket_path}?db=0{password}"

    def client(self, db: int = 0) -> redis.Redis:
        """A synchronous client for inspecting keys; closed when the server stops."""
        tls = {"ssl": True, **self.client_tls} if self.tls else {}
        client = redis.Redis(host="127.0.0.1", port=self.port, db=db, password=self.password or None, **tls)
        self._clients.append(client)
        return client

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        options = ["--appendonly", "yes", "--appendfsync", "always"] if self.durable else ["--appendonly", "no"]
        if self.password:
            options += ["--requirepass", self.password]
        if self.socket_path is not None:
            options += ["--unixsocket", str(self.socket_path), "--unixsocketperm", "700"]
        port_options = ["--port", str(self.port)]
        if self.tls is not None:
            port_options = ["--port", "0", "--tls-port", str(self.port)]
            port_options += ["--tls-cert-file", str(self.tls.cert), "--tls-key-file", str(self.tls.key)]
            if self.tls.client_ca is not None:
                port_options += ["--tls-ca-cert-file", str(self.tls.client_ca), "--tls-auth-clients", "yes"]
            else:
                # redis-server wants a CA file even when it asks clients for nothing.
                port_options += ["--tls-ca-cert-file", str(self.tls.cert), "--tls-auth-clients", "no"]
        self._log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                binary,
                *port_options,
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--dir",
                str(self.directory),
                *options,
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.ConnectionError):
                if self.client().ping():
                    return
            time.sleep(0.02)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def stop(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self) -> None:
        self.stop()
        self.start()
