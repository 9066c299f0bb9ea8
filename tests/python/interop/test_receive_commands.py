"""How many Redis commands the C++ layer spends receiving (issue 14, W6: Redis commands per
message). With Redis 7's BZMPOP one blocking command pops whatever is queued, so a process that
receives one message at a time costs one command per message, not a ZPOPMIN that finds it, a
ZPOPMIN that finds nothing and a BZPOPMIN. Where BZMPOP is refused (older servers, an ACL), the
layer falls back to ZPOPMIN + BZPOPMIN and still receives everything, in order."""

from __future__ import annotations

import time

from harness.python_layer import python_layer, run

MESSAGES = 30


def pop_calls(client) -> int:
    stats = client.info("commandstats")
    return sum(int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in ("bzmpop", "bzpopmin", "zpopmin"))


def receive_one_at_a_time(servers, peer) -> list[int]:
    channel = peer.new_channel()
    layer = python_layer(servers)
    got = []
    for n in range(MESSAGES):
        run(layer.send(channel, {"type": "t", "n": n}))
        got_channel, message = peer.receive(timeout=10)
        assert got_channel == channel
        got.append(message["n"])
    return got


def test_light_traffic_costs_one_pop_command_per_message(one_shard, make_peer) -> None:
    client = one_shard[0].client()
    peer = make_peer(one_shard)
    time.sleep(0.2)  # the receive loop is blocked in its first pop
    client.config_resetstat()
    assert receive_one_at_a_time(one_shard, peer) == list(range(MESSAGES))
    calls = pop_calls(client)
    # One wake-up per message, plus the pop in flight and a block that timed out meanwhile.
    assert calls <= MESSAGES + 3, f"{calls} pop commands for {MESSAGES} messages"


def test_a_server_that_refuses_bzmpop_still_delivers_everything_in_order(one_shard, make_peer) -> None:
    client = one_shard[0].client()
    client.execute_command("ACL", "SETUSER", "default", "-bzmpop")
    peer = make_peer(one_shard)
    assert receive_one_at_a_time(one_shard, peer) == list(range(MESSAGES))
    stats = client.info("commandstats")
    assert int(stats.get("cmdstat_bzpopmin", {}).get("calls", 0)) > 0, "the fallback did not run"
