"""The C++ PostgreSQL adapters (pg_pool, pg_connection) against a real server: this starts the
harness PostgreSQL and runs the Catch2 binary `tandem_store_tests` with its conninfo."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from harness.postgres_server import PostgresServer

ROOT = Path(__file__).resolve().parents[3]


def store_tests_binary() -> Path:
    build = Path(os.environ.get("TANDEM_BUILD_DIR", ROOT / "build" / "dev"))
    binary = build / "tests" / "tandem_store_tests"
    if not binary.exists():
        pytest.fail(f"{binary} is missing: build the tests first (scripts/build.sh build/dev)")
    return binary


def test_the_cpp_store_tests_pass_against_a_real_postgres(postgres_server: PostgresServer) -> None:
    binary = store_tests_binary()
    env = {**os.environ, "TANDEM_TEST_POSTGRES": postgres_server.conninfo()}
    result = subprocess.run(
        [str(binary), "--reporter", "compact"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    print(result.stdout[-4000:], result.stderr[-4000:])
    assert result.returncode == 0, result.stdout[-4000:]
    # The compact reporter prints "Passed all N test cases ...": every case ran, none skipped.
    assert "Passed all 6 test cases" in result.stdout
