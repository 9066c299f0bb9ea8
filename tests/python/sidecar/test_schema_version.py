"""/readyz answers 503 while the database lacks the SQL functions this sidecar calls (a
sidecar deployed before `manage.py migrate`), and 200 once they are there."""

from __future__ import annotations

import time

from django.db import connection

OLDER = (
    "CREATE OR REPLACE FUNCTION tandem_schema_version() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 1'"
)
CURRENT = (
    "CREATE OR REPLACE FUNCTION tandem_schema_version() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 2'"
)


def readyz_until(sidecar, status: int) -> str:
    deadline = time.monotonic() + 20
    while True:
        got, body = sidecar.get("/readyz")
        if got == status:
            return body
        assert time.monotonic() < deadline, f"/readyz stayed {got}: {body}"
        time.sleep(0.1)


def test_readyz_waits_for_the_sql_contract_version(world, sidecar) -> None:
    readyz_until(sidecar, 200)
    try:
        with connection.cursor() as cursor:
            cursor.execute(OLDER)
        assert '"postgres":false' in readyz_until(sidecar, 503)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(CURRENT)
    readyz_until(sidecar, 200)
