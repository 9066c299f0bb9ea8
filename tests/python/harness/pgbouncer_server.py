"""A real PgBouncer in transaction pooling mode in front of the harness PostgreSQL, on a free
loopback port: what many sites put between their applications and the database. Debian 12 ships
pgbouncer 1.18, which does not track prepared statements: a statement prepared on one server
connection is missing on the next (docs/deployment.md, "PgBouncer")."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from harness.postgres_server import PostgresServer, conninfo_value
from harness.redis_server import free_port


def pgbouncer_binary() -> str | None:
    """The pgbouncer executable (Debian installs it in /usr/sbin), or None."""
    return shutil.which("pgbouncer") or next(
        (str(p) for p in (Path("/usr/sbin/pgbouncer"),) if p.exists()), None
    )


class PgBouncerServer:
    """pgbouncer with `pool_mode = transaction` and `pool_size` server connections per database
    and user, started by start() and ended by stop()."""

    def __init__(self, postgres: PostgresServer, *, pool_size: int = 1) -> None:
        binary = pgbouncer_binary()
        if binary is None:
            raise RuntimeError("pgbouncer is not installed (scripts/install-deps.sh installs it)")
        self.binary = binary
        self.postgres = postgres
        self.pool_size = pool_size
        self.host = "127.0.0.1"
        self.port = 0
        # pgbouncer refuses to run as root: then it runs as `postgres`, which must own the files.
        self.as_postgres = os.geteuid() == 0
        self.directory = Path(tempfile.mkdtemp(prefix="tandem-pgbouncer-"))
        self.log = self.directory / "pgbouncer.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.port = free_port()
        # auth_file: the password pgbouncer presents to PostgreSQL (scram-sha-256) for the role;
        # clients are trusted, the database still checks the password.
        auth = self.directory / "users.txt"
        auth.write_text(f'"{self.postgres.user}" "{self.postgres.password.replace(chr(34), chr(34) * 2)}"\n')
        config = self.directory / "pgbouncer.ini"
        config.write_text(
            "[databases]\n"
            f"* = host={self.postgres.host} port={self.postgres.port}\n"
            "[pgbouncer]\n"
            f"listen_addr = {self.host}\n"
            f"listen_port = {self.port}\n"
            "unix_socket_dir =\n"
            "auth_type = trust\n"
            f"auth_file = {auth}\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {self.pool_size}\n"
            "max_client_conn = 200\n"
            f"logfile = {self.log}\n"
            "ignore_startup_parameters = extra_float_digits,statement_timeout,lock_timeout\n"
        )
        if self.as_postgres:
            pwd.getpwnam("postgres")  # Debian's postgresql package creates it
            for path in (self.directory, auth, config):
                shutil.chown(path, "postgres", "postgres")
        command = [self.binary, *(["-u", "postgres"] if self.as_postgres else []), str(config)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited: {self._diagnostics()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"pgbouncer did not listen within 30 s: {self._diagnostics()}")

    def _diagnostics(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else "(no log)"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)

    def conninfo(self, dbname: str | None = None) -> str:
        """The harness database's conninfo, through pgbouncer."""
        fields = {
            "host": self.host,
            "port": str(self.port),
            "dbname": dbname or self.postgres.dbname,
            "user": self.postgres.user,
            "password": self.postgres.password,
        }
        return " ".join(f"{key}={conninfo_value(value)}" for key, value in fields.items())
