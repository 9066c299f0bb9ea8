"""The SQL contract Django and the sidecar share: a released file of SQL functions never changes
(a fresh database must get exactly what an upgraded one got), each version has its own function
names, the migrations match the models, and the sidecar calls the version Django installs."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from tandem import checks

PACKAGE = Path(__file__).resolve().parents[3] / "django_integration" / "tandem"
SIDECAR_STORE = Path(__file__).resolve().parents[3] / "sidecar" / "store"

# sha256 of each released file. A failure here means a released version was edited: revert the
# edit and put the change in a new messaging_vN.sql with new function names and a migration.
RELEASED = {
    "messaging_v1.sql": "25281bb32f8131ca45221e7e2d1af67820e9616501919fbf0cc04c43f2f412ec",
    "messaging_v2.sql": "d9f1422f51c003f4ab84d978f9c39345b2ecae42e99900b6023802864920c4a9",
}


@pytest.mark.parametrize("name", sorted(RELEASED))
def test_a_released_sql_file_never_changes(name: str) -> None:
    assert hashlib.sha256((PACKAGE / "sql" / name).read_bytes()).hexdigest() == RELEASED[name]


def test_every_sql_file_is_released_and_pinned() -> None:
    assert sorted(path.name for path in (PACKAGE / "sql").glob("*.sql")) == sorted(RELEASED)


def test_the_newest_file_declares_the_version_the_code_checks_for() -> None:
    newest = (PACKAGE / "sql" / f"messaging_v{checks.SCHEMA_VERSION}.sql").read_text()
    assert f"SELECT {checks.SCHEMA_VERSION} $fn$" in newest


def test_the_sidecar_calls_only_functions_of_the_current_version() -> None:
    called = set()
    for source in SIDECAR_STORE.glob("*.cpp"):
        called |= set(re.findall(r"\b(tandem_[a-z_]+(?:_v\d+)?)\(", source.read_text()))
    assert called, "the sidecar's store calls no SQL function?"
    # tandem_schema_version() alone is unversioned: it is how versions are told apart.
    versioned = called - {"tandem_schema_version"}
    assert all(name.endswith(f"_v{checks.SCHEMA_VERSION}") for name in versioned), called


@pytest.mark.django_db
def test_the_migrations_match_the_models() -> None:
    out = io.StringIO()
    call_command("makemigrations", "tandem", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
