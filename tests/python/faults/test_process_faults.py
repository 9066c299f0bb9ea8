"""Rows 3 and 4: one sidecar killed with -9 while its clients send (they reconnect to the other
process, sync and resend), and one stopped with SIGTERM during a burst (it drains with 1012;
no acknowledged message is lost)."""

from __future__ import annotations

import signal

import pytest
from faults.matrix import FaultWorld, Traffic, check_row, run_row
from faults.presence_probe import SETTLE_S

# Long enough after the kill for the dead process's lease (6 s) to end and be swept, so the
# presence check sees what survives the sweep.
AFTER_LEASE_S = 9.0


def kill_second_sidecar(world: FaultWorld, traffic: Traffic) -> None:
    process = world.sidecars[1].process
    assert process is not None
    process.kill()
    process.wait()


def terminate_second_sidecar_in_a_burst(world: FaultWorld, traffic: Traffic) -> None:
    process = world.sidecars[1].process
    assert process is not None
    traffic.burst(30)
    process.send_signal(signal.SIGTERM)


@pytest.mark.xfail(
    strict=False,
    reason="issue 11 defect 7: sweeping a process killed with -9 leaves its sockets counted in "
    "tandem_userstatus.connections",
)
def test_a_sidecar_killed_while_clients_send(fault_world, capsys) -> None:
    result = run_row(
        fault_world, "3 sidecar killed -9", kill_second_sidecar, after=AFTER_LEASE_S, expect_open=False
    )
    check_row(result, capsys)


def test_sigterm_during_a_burst_drains_without_loss(fault_world, capsys) -> None:
    result = run_row(
        fault_world,
        "4 SIGTERM in a burst",
        terminate_second_sidecar_in_a_burst,
        after=AFTER_LEASE_S,
        expect_open=False,
    )
    process = fault_world.sidecars[1].process
    if process.poll() is None:
        result.problems.append(
            f"the drained process still runs {AFTER_LEASE_S + SETTLE_S:.0f} s after SIGTERM"
        )
    elif process.returncode != 0:
        result.problems.append(f"the drained process exited with {process.returncode}")
    check_row(result, capsys)
