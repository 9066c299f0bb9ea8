"""Row 6: a client whose socket is cut between a send and its ack reconnects and resends with
the same client_id: the message is stored once and reaches everyone once."""

from __future__ import annotations

from faults.matrix import FaultWorld, Traffic, check_row, run_row, wait_until

CUTS = 5


def cut_ann_after_sends(world: FaultWorld, traffic: Traffic) -> None:
    ann = next(c for c in traffic.clients if c.name == "ann")
    for _ in range(CUTS):
        connects = ann.connects
        ann.drop_after_next_send()
        assert wait_until(lambda n=connects: ann.connects > n, 20), "ann did not reconnect"


def test_resend_with_the_same_client_id_after_a_lost_ack(fault_world, capsys) -> None:
    result = run_row(fault_world, "6 resend after a lost ack", cut_ann_after_sends, expect_open=False)
    if result.closes < CUTS:
        result.problems.append(f"only {result.closes} of {CUTS} cuts closed ann's socket")
    check_row(result, capsys)
