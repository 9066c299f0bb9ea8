"""Rows 3 and 4: one sidecar killed with -9 while its clients send (they reconnect to the other
process, sync and resend; the tabs that stayed open on the survivor get a `resync` hint once the
dead process's lease is swept, so sends it acknowledged but never published still reach them),
and one stopped with SIGTERM during a burst (it drains with 1012; no acknowledged message is
lost)."""

from __future__ import annotations

import signal

from faults.matrix import FaultWorld, Traffic, check_row, run_row
from faults.presence_probe import SETTLE_S

# Long enough after the kill for the dead process's lease (6 s) to end and be swept (and the
# resync hint to follow), so the presence check sees what survives the sweep.
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
