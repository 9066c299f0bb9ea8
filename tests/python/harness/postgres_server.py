"""A real PostgreSQL server for tests: a throwaway cluster on a free loopback port, reached by
a password-checked (scram-sha-256) role, as the sidecar reaches a production database."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from harness.redis_server import free_port

# Spaces, a quote and a backslash: every conninfo and URL built from it must quote correctly.
DEFAULT_PASSWORD = "tandem pass'word\\x"


def postgres_bin_dir() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin (Debian's layout), else initdb on PATH."""
    versions = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if p.parent.name.isdigit()),
        key=lambda p: int(p.parent.name),
    )
    if versions:
        return versions[-1]
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("PostgreSQL is not installed (scripts/install-deps.sh installs it)")
    return Path(initdb).parent


def conninfo_value(value: str) -> str:
    """A libpq keyword value, quoted when it is empty or holds spaces, quotes or backslashes."""
    if value and not any(c.isspace() or c in "'\\" for c in value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class PostgresServer:
    """initdb + postgres in a fresh temporary directory, removed again by stop().

    PostgreSQL refuses to run as root, and CI runs as root: then the directory belongs to the
    `postgres` system user (created by Debian's package) and the server runs as that user.
    """

    def __init__(
        self, *, user: str = "tandem", password: str = DEFAULT_PASSWORD, dbname: str = "tandem"
    ) -> None:
        self.user = user
        self.password = password
        self.dbname = dbname
        self.host = "127.0.0.1"
        self.port = 0
        self.bin = postgres_bin_dir()
        self.as_postgres = os.geteuid() == 0
        # Not pytest's tmp_path: its parents are private to root, so `postgres` could not enter.
        self.directory = Path(tempfile.mkdtemp(prefix="tandem-pg-"))
        self.data = self.directory / "data"
        self.socket_dir = self.directory / "sockets"
        self.log = self.directory / "postgres.log"
        self.running = False
        self.options = ""

    def _run(self, *command: str | Path) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        result = subprocess.run(
            [*prefix, *(str(c) for c in command)], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(
                f"{command[0]} failed ({result.returncode}):\n{result.stderr}{result.stdout}\n{log}"
            )

    def start(self) -> None:
        self.socket_dir.mkdir()
        if self.as_postgres:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError(
                    "as root, the tests need the `postgres` user (Debian's postgresql creates it)"
                ) from None
            for path in (self.directory, self.socket_dir):
                shutil.chown(path, "postgres", "postgres")
        # Host connections (what the sidecar and Django use) must present a password; the Unix
        # socket trusts the `postgres` superuser, for set-up only.
        self._run(
            self.bin / "initdb",
            "-D",
            self.data,
            "-U",
            "postgres",
            "--auth-host=scram-sha-256",
            "--auth-local=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        self.port = free_port()
        # Durability settings off: a test cluster is thrown away, speed matters more.
        self.options = (
            f"-c listen_addresses={self.host} -p {self.port} -k {self.socket_dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self.resume()
        # An ordinary role, as a site would use: it owns its database and may create the test
        # databases pytest-django makes, but is no superuser.
        literal = "'" + self.password.replace("'", "''") + "'"
        self.psql(f'CREATE ROLE "{self.user}" LOGIN CREATEDB PASSWORD {literal}')
        self.psql(f'CREATE DATABASE "{self.dbname}" OWNER "{self.user}"')

    def pause(self) -> None:
        """Stops the server but keeps its data: resume() brings it back on the same port (an
        outage, as clients see one)."""
        self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        self.running = False

    def resume(self) -> None:
        self._run(
            self.bin / "pg_ctl",
            "-D",
            self.data,
            "-l",
            self.log,
            "-o",
            self.options,
            "-w",
            "-t",
            "30",
            "start",
        )
        self.running = True

    def psql(self, sql: str, dbname: str = "postgres") -> None:
        """Runs SQL as the superuser over the Unix socket."""
        self._run(
            self.bin / "psql",
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            self.socket_dir,
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            dbname,
            "-c",
            sql,
        )

    def stop(self) -> None:
        if self.running:
            self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
            self.running = False
        shutil.rmtree(self.directory, ignore_errors=True)

    def conninfo(self, dbname: str | None = None) -> str:
        """A libpq keyword/value string over TCP with the password, as a site would configure."""
        fields = {
            "host": self.host,
            "port": str(self.port),
            "dbname": dbname or self.dbname,
            "user": self.user,
            "password": self.password,
        }
        return " ".join(f"{key}={conninfo_value(value)}" for key, value in fields.items())

    def url(self, dbname: str | None = None) -> str:
        """The same as a postgresql:// URL (credentials percent-encoded)."""
        credentials = f"{quote(self.user, safe='')}:{quote(self.password, safe='')}"
        return f"postgresql://{credentials}@{self.host}:{self.port}/{quote(dbname or self.dbname, safe='')}"

    def django_settings(self, name: str | None = None) -> dict[str, Any]:
        """DATABASES["default"] values for this server."""
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name or self.dbname,
            "USER": self.user,
            "PASSWORD": self.password,
            "HOST": self.host,
            "PORT": str(self.port),
        }
