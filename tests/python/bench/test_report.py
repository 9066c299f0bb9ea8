"""The benchmark's report (bench/suite/report.py): a server that measured nothing in a workload
gets "-" in the table, not a crash that loses the whole run's Markdown and plot."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench" / "suite"))

import report


def step(rate: int, sent: int, p99: float) -> dict[str, Any]:
    return {
        "offered_rate": rate,
        "sent": sent,
        "lost": 0,
        "errors": {},
        "client_cpu_s": 0.1,
        "ack": {"p99_ms": 1.0},
        "last_recipient": {"count": sent, "p50_ms": p99, "p99_ms": p99, "p999_ms": p99, "max_ms": p99},
        "costs": {"server_cpu_ms_per_msg": 1.0, "deliveries_per_server_cpu_s": 10.0},
    }


def test_a_workload_that_sent_nothing_is_a_dash_not_a_crash() -> None:
    # As uvicorn + channels_redis did in a full run: its W3r steps sent nothing at all.
    silent = {"sent": 0, "status_frames": 0}
    run = {
        "started": "2026-12-05 17:00 UTC",
        "mode": "full",
        "machine": "2 cores",
        "servers": {
            "Tandem 1 process": {
                "w3r": {
                    "sockets": 1000,
                    "steps": [step(2, 20, 5.0)],
                    "receipts": {"sent": 40, "status_frames": 20},
                }
            },
            "uvicorn + channels_redis": {
                "w3r": {"sockets": 1000, "steps": [step(2, 0, 0.0)], "receipts": silent}
            },
        },
    }
    table = report.markdown(run)
    row = next(
        line for line in table.splitlines() if line.startswith("| W3r receipts sent per group message")
    )
    assert row.split("|")[2:4] == [" 2.0 ", " - "]


def test_a_step_in_which_no_message_reached_every_member_has_no_p99() -> None:
    # Daphne's W3 in a full run: each message reached 940 of the 999 members, none reached all,
    # so the last-recipient histogram was empty, and its 0 read as the best p99 of the table.
    nobody_last = {**step(2, 20, 0.0), "lost": 20}
    nobody_last["last_recipient"] = {**nobody_last["last_recipient"], "count": 0}
    run = {
        "started": "2026-12-05 17:00 UTC",
        "mode": "full",
        "machine": "2 cores",
        "servers": {
            "Tandem 1 process": {"w3": {"sockets": 1000, "steps": [step(2, 20, 16.9)]}},
            "Daphne + channels_redis": {"w3": {"sockets": 1000, "steps": [nobody_last]}},
            # uvicorn's: its sender's every send failed, nothing was sent
            "uvicorn + channels_redis": {"w3": {"sockets": 1000, "steps": [step(2, 0, 0.0)]}},
        },
    }
    table = report.markdown(run)
    row = next(line for line in table.splitlines() if line.startswith("| W3 p99 to the last group member"))
    assert row.split("|")[2:5] == [" 16.9 ", " - ", " - "]
