"""Row 2: PostgreSQL restarted mid-traffic, the chat's row locked for 5 s, and PostgreSQL
read-only for 5 s: sends are refused with a retryable error or wait, never lost or doubled,
and every socket stays open."""

from __future__ import annotations

import time

from faults.matrix import FaultWorld, Traffic, check_row, run_row


def restart_postgres(world: FaultWorld, traffic: Traffic) -> None:
    world.postgres.pause()
    world.postgres.resume()


def lock_chat_row(world: FaultWorld, traffic: Traffic) -> None:
    world.postgres.psql(
        f"BEGIN; SELECT 1 FROM tandem_chat WHERE id = {world.chat_id} FOR UPDATE; SELECT pg_sleep(5); COMMIT;",
        dbname=world.dbname,
    )


def read_only_for_5_s(world: FaultWorld, traffic: Traffic) -> None:
    # A reload applies it to open sessions too, as a failover to a replica would.
    world.postgres.psql("ALTER SYSTEM SET default_transaction_read_only = on")
    world.postgres.psql("SELECT pg_reload_conf()")
    try:
        time.sleep(5)
    finally:
        world.postgres.psql("ALTER SYSTEM RESET default_transaction_read_only")
        world.postgres.psql("SELECT pg_reload_conf()")


def test_postgres_restarted_mid_traffic(fault_world, capsys) -> None:
    check_row(run_row(fault_world, "2a PostgreSQL restarted", restart_postgres), capsys)


def test_chat_row_locked_for_5_s(fault_world, capsys) -> None:
    check_row(run_row(fault_world, "2b chat row locked 5 s", lock_chat_row), capsys)


def test_postgres_read_only_for_5_s(fault_world, capsys) -> None:
    result = run_row(fault_world, "2c PostgreSQL read-only 5 s", read_only_for_5_s)
    if result.errors.get("internal"):
        result.problems.append(
            f"{result.errors['internal']} sends refused as `internal`, not `store_unavailable`"
        )
    check_row(result, capsys)
