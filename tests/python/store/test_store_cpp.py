"""The C++ PostgreSQL adapters (pg_pool, pg_connection) against a real server: this starts the
harness PostgreSQL and runs the Catch2 binary `tandem_store_tests` with its conninfo; the
`[pgbouncer]` cases run against a real PgBouncer (transaction pooling) in front of it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from harness.pgbouncer_server import PgBouncerServer, pgbouncer_binary
from harness.postgres_server import PostgresServer

ROOT = Path(__file__).resolve().parents[3]


def store_tests_binary() -> Path:
    build = Path(os.environ.get("TANDEM_BUILD_DIR", ROOT / "build" / "dev"))
    binary = build / "tests" / "tandem_store_tests"
    if not binary.exists():
        pytest.fail(f"{binary} is missing: build the tests first (scripts/build.sh build/dev)")
    return binary


def run_store_tests(env: dict[str, str], *test_spec: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(store_tests_binary()), "--reporter", "compact", *test_spec],
        check=False,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    print(result.stdout[-4000:], result.stderr[-4000:])
    return result


def test_the_cpp_store_tests_pass_against_a_real_postgres(postgres_server: PostgresServer) -> None:
    result = run_store_tests({"TANDEM_TEST_POSTGRES": postgres_server.conninfo()}, "~[pgbouncer]")
    assert result.returncode == 0, result.stdout[-4000:]
    # The compact reporter prints "Passed all N test cases ...": every case ran, none skipped.
    assert "Passed all 8 test cases" in result.stdout


def test_the_cpp_store_tests_pass_behind_pgbouncer_in_transaction_mode(
    postgres_server: PostgresServer,
) -> None:
    # A real PgBouncer is required, like PostgreSQL and Redis: scripts/install-deps.sh installs it.
    assert pgbouncer_binary() is not None, "pgbouncer is not installed: run scripts/install-deps.sh"
    bouncer = PgBouncerServer(postgres_server, pool_size=1)
    try:
        bouncer.start()
        result = run_store_tests(
            {"TANDEM_TEST_POSTGRES": postgres_server.conninfo(), "TANDEM_TEST_PGBOUNCER": bouncer.conninfo()},
            "[pgbouncer]",
        )
    finally:
        bouncer.stop()
    assert result.returncode == 0, result.stdout[-4000:]
    assert "Passed all 4 test cases" in result.stdout
