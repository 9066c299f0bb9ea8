"""The benchmark's report (bench/suite/report.py): what was not measured reads "-" (never a
crash that loses the whole run's tables, never a 0 that reads as the best figure of a row), and
a p99 over only the messages that reached everyone says so."""

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


def summary_row(servers: dict[str, Any], label: str) -> list[str]:
    """The cells (values, then ratios) of the summary row that starts with `label`."""
    run = {"started": "2026-12-05 17:00 UTC", "mode": "full", "machine": "2 cores", "servers": servers}
    line = next(line for line in report.markdown(run).splitlines() if line.startswith(f"| {label}"))
    return [cell.strip() for cell in line.strip("|").split("|")[1:]]


def test_a_workload_that_sent_nothing_is_a_dash_not_a_crash() -> None:
    # As uvicorn + channels_redis did in a full run: its W3r steps sent nothing at all (a
    # division by zero lost the whole run's Markdown and plot).
    servers = {
        "Tandem 1 process": {
            "w3r": {
                "sockets": 1000,
                "steps": [step(2, 20, 5.0)],
                "receipts": {"sent": 40, "status_frames": 20},
            }
        },
        "uvicorn + channels_redis": {
            "w3r": {"sockets": 1000, "steps": [step(2, 0, 0.0)], "receipts": {"sent": 0, "status_frames": 0}}
        },
    }
    assert summary_row(servers, "W3r receipts sent per group message")[:2] == ["2.0", "-"]


def test_a_step_in_which_no_message_reached_every_member_has_no_p99() -> None:
    # Daphne's W3 in a full run: 59 of the group's 1,000 sockets were refused at connect, so no
    # message reached every member and the last-recipient histogram was empty: its 0 read as the
    # best p99 of the row. uvicorn's sender could send nothing at all.
    nobody_last = {**step(2, 20, 0.0), "lost": 20}
    nobody_last["last_recipient"] = {**nobody_last["last_recipient"], "count": 0}
    servers = {
        "Tandem 1 process": {"w3": {"sockets": 1000, "steps": [step(2, 20, 16.9)]}},
        "Daphne + channels_redis": {"w3": {"sockets": 1000, "steps": [nobody_last]}},
        "uvicorn + channels_redis": {"w3": {"sockets": 1000, "steps": [step(2, 0, 0.0)]}},
    }
    assert summary_row(servers, "W3 p99 to the last group member")[:3] == ["16.9", "-", "-"]


def test_a_p99_of_the_few_messages_that_reached_everyone_says_so_and_nothing_sent_costs_nothing() -> None:
    # Daphne's W3r in a full run: 6 of 20 messages reached every member; their p99 alone would
    # read as Daphne's latency (the 14 others are the slowest). uvicorn's W3 sent nothing: its
    # per-message costs were divided by no message.
    survivors = {**step(2, 20, 15894.8), "messages_complete": 6}
    survivors["last_recipient"] = {**survivors["last_recipient"], "count": 6}
    nothing = {**step(2, 0, 0.0), "costs": {"redis_cmds_per_msg": 8.0, "deliveries_per_server_cpu_s": 0.0}}
    servers = {
        "Tandem 1 process": {"w3r": {"sockets": 1000, "steps": [step(2, 20, 14.2)], "receipts": {"sent": 1}}},
        "Daphne + channels_redis": {"w3r": {"sockets": 1000, "steps": [survivors], "receipts": {"sent": 1}}},
        "uvicorn + channels_redis": {"w3": {"sockets": 1000, "steps": [nothing]}},
    }
    w3r = summary_row(servers, "W3r p99 to the last group member")
    assert w3r[:2] == ["14.2", "15,894.8 (6 of 20 reached all)"]
    assert summary_row(servers, "W6 Redis commands per group message")[2] == "-"
    assert summary_row(servers, "W3 socket deliveries per server CPU-second")[2] == "-"
