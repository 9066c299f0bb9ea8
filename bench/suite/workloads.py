"""The workloads of issue 14 (W1-W7 and the shootout protocol), each run against one server with
the Go load generator. Every figure is measured from outside the server; CPU seconds of the
server, Redis, PostgreSQL and the client are sampled around each step, so costs per message
compare across servers in the same run."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadgen import Event, run_loadgen, write_plan
from population import Population
from procstat import cpu_seconds, rss_kib
from servers import Server


@dataclass
class Services:
    redis_pid: int
    pg_pid: int
    redis_client: Any
    pg_url: str

    def redis_calls(self) -> int:
        stats = self.redis_client.info("commandstats")
        return sum(v["calls"] for k, v in stats.items() if k not in ("cmdstat_info",))

    def pg_commits(self) -> int:
        import psycopg

        with psycopg.connect(self.pg_url, autocommit=True) as conn:
            row = conn.execute(
                "select xact_commit from pg_stat_database where datname = current_database()"
            ).fetchone()
        return int(row[0]) if row else 0


def sample(services: Services, server: Server) -> dict[str, float]:
    return {
        "server_cpu_s": sum(cpu_seconds(pid) for pid in server.pids()),
        "redis_cpu_s": cpu_seconds(services.redis_pid),
        "pg_cpu_s": cpu_seconds(services.pg_pid, tree=True),
        "redis_calls": services.redis_calls(),
        "pg_commits": services.pg_commits(),
        "t": time.monotonic(),
    }


def costs(before: dict[str, float], after: dict[str, float], messages: int, deliveries: int) -> dict[str, float]:
    d = {k: after[k] - before[k] for k in before}
    per = max(messages, 1)
    return {
        "server_cpu_s": d["server_cpu_s"],
        "redis_cpu_s": d["redis_cpu_s"],
        "pg_cpu_s": d["pg_cpu_s"],
        "server_cpu_ms_per_msg": d["server_cpu_s"] * 1000 / per,
        "pg_cpu_ms_per_msg": d["pg_cpu_s"] * 1000 / per,
        "redis_cpu_ms_per_msg": d["redis_cpu_s"] * 1000 / per,
        "redis_cmds_per_msg": d["redis_calls"] / per,
        "pg_commits_per_msg": d["pg_commits"] / per,
        "deliveries_per_server_cpu_s": deliveries / d["server_cpu_s"] if d["server_cpu_s"] > 0 else 0.0,
    }


class Sampler:
    """Samples the services at each loadgen step's start and end and attaches the deltas."""

    def __init__(self, services: Services, server: Server) -> None:
        self.services, self.server = services, server
        self.before: dict[str, float] = {}
        self.costs: list[dict[str, float]] = []

    async def __call__(self, event: Event, _process: Any) -> None:
        if event["event"] == "step_begin":
            self.before = await asyncio.to_thread(sample, self.services, self.server)
        elif event["event"] == "step_end":
            after = await asyncio.to_thread(sample, self.services, self.server)
            r = event["result"]
            self.costs.append(costs(self.before, after, r["sent"], r["deliveries"]))


def common_args(cfg: dict[str, Any]) -> list[str]:
    return ["-step", f"{cfg['step_s']}s", "-grace", f"{cfg['grace_s']}s", "-max-duration", f"{cfg['max_run_s']}s",
            "-in-flight", str(cfg["open_in_flight"]), "-error-budget", str(cfg["error_budget"]),
            "-settle", f"{cfg['settle_s']}s", "-settle-max", f"{cfg['settle_max_s']}s"]


async def traffic(binary: Path, work: Path, services: Services, server: Server, sockets: list[dict[str, Any]],
                  mode: str, rates: list[float], cfg: dict[str, Any], extra: list[str] | None = None) -> dict[str, Any]:
    plan = write_plan(work / f"plan-{mode}.json", sockets)
    sampler = Sampler(services, server)
    args = ["-mode", mode, "-rates", ",".join(f"{r:g}" for r in rates), "-stop-p99-ms", str(cfg["stop_p99_ms"]),
            *common_args(cfg), *(extra or [])]
    result = await run_loadgen(binary, plan, args, sampler)
    for step, cost in zip(result.get("steps", []), sampler.costs, strict=False):
        step["costs"] = cost
    result["server_metrics"] = await asyncio.to_thread(server.metrics)  # counters since the server started
    return result


async def w2_chat(binary: Path, work: Path, services: Services, server: Server, pop: Population,
                  cfg: dict[str, Any]) -> dict[str, Any]:
    """1:1 traffic: every user of a pair on its chat socket, the pair's two users on different
    processes when the server has several, messages alternating direction, rising rates."""
    sockets = []
    for i, chat in enumerate(pop.pair_chats[: cfg["pairs"]]):
        for side in (0, 1):
            user = 2 * i + side
            sockets.append({"url": server.url(f"/ws/chat/{chat}/", side), "cookie": pop.cookies[user], "chat": chat})
    return await traffic(binary, work, services, server, sockets, "chat", cfg["w2_rates"], cfg)


async def w3_group(binary: Path, work: Path, services: Services, server: Server, pop: Population,
                   cfg: dict[str, Any]) -> dict[str, Any]:
    """Fan-out: one sender, every member of one group chat on its chat socket."""
    sockets = [
        {"url": server.url(f"/ws/chat/{pop.group_chat}/", i), "cookie": pop.cookies[i], "chat": pop.group_chat}
        for i in range(pop.group_size)
    ]
    return await traffic(binary, work, services, server, sockets, "group", cfg["w3_rates"], cfg)


async def w3r_group_receipts(binary: Path, work: Path, services: Services, server: Server, pop: Population,
                             cfg: dict[str, Any]) -> dict[str, Any]:
    """W3 as the browser client's members answer it: each member acknowledges what it received
    with one `delivered` receipt per 100 ms window (client.js deliveredBatchMs), so every group
    message costs a receipt per member and the sender hears its ticks move."""
    sockets = [
        {"url": server.url(f"/ws/chat/{pop.group_chat}/", i), "cookie": pop.cookies[i], "chat": pop.group_chat}
        for i in range(pop.group_size)
    ]
    return await traffic(binary, work, services, server, sockets, "group", cfg["w3r_rates"], cfg,
                         ["-delivered-batch", "100ms"])


async def shootout(binary: Path, work: Path, services: Services, server: Server, cfg: dict[str, Any]) -> dict[str, Any]:
    """The websocket-shootout protocol on the bench-only endpoint: echo round trips, then
    broadcasts to every connection of the endpoint."""
    # Broadcasts reach the connections of one process: every socket on the first process.
    sockets = [{"url": server.url("/ws/shootout/"), "cookie": "", "chat": 0} for _ in range(cfg["shootout_sockets"])]
    echo = await traffic(binary, work, services, server, sockets, "echo", cfg["echo_rates"], cfg)
    broadcast = await traffic(binary, work, services, server, sockets, "broadcast", cfg["broadcast_rates"], cfg)
    return {"echo": echo, "broadcast": broadcast}


def notification_sockets(server: Server, pop: Population, count: int) -> list[dict[str, Any]]:
    return [
        {"url": server.url("/ws/notifications/", i), "cookie": pop.cookies[i % len(pop.cookies)], "chat": 0}
        for i in range(count)
    ]


async def w5_avalanche(binary: Path, work: Path, services: Services, server: Server, pop: Population,
                       cfg: dict[str, Any]) -> dict[str, Any]:
    """Connect avalanche: `avalanche` sockets opened with `avalanche_in_flight` handshakes at once."""
    plan = write_plan(work / "plan-connect.json", notification_sockets(server, pop, cfg["avalanche"]))
    before = await asyncio.to_thread(sample, services, server)
    result = await run_loadgen(binary, plan, ["-mode", "connect", *common_args(cfg), "-in-flight",
                                              str(cfg["avalanche_in_flight"]), "-open-timeout", "60s"])
    after = await asyncio.to_thread(sample, services, server)
    result["costs"] = costs(before, after, result["open"], result["open"])
    return result


def server_rss_kib(server: Server) -> int:
    return sum(rss_kib(pid) for pid in server.pids())


async def settled_rss_kib(server: Server, limit_s: float) -> tuple[int, float]:
    """The server's RSS once it has stopped moving (within 256 KiB over 3 s: presence
    announcements done, freed pages handed back), and how long that took; at most `limit_s`."""
    started = time.monotonic()
    readings = [server_rss_kib(server)]
    while time.monotonic() - started < limit_s:
        await asyncio.sleep(1)
        readings.append(server_rss_kib(server))
        last = readings[-4:]
        if len(last) == 4 and max(last) - min(last) < 256:
            break
    return readings[-1], time.monotonic() - started


async def w1_idle_then_w7_drain(binary: Path, work: Path, services: Services, server: Server, pop: Population,
                                cfg: dict[str, Any]) -> dict[str, Any]:
    """RSS per idle authenticated socket, then SIGTERM with all of them open: time to exit.
    Stops the server."""
    plan = write_plan(work / "plan-idle.json", notification_sockets(server, pop, cfg["idle"]))
    base = server_rss_kib(server)
    measured: dict[str, Any] = {"rss_before_kib": base}

    async def on_event(event: Event, process: asyncio.subprocess.Process) -> None:
        if event["event"] != "open":
            return
        count = max(event["open"], 1)
        await asyncio.sleep(cfg["settle_s"])
        loaded = server_rss_kib(server)
        settled, settle_s = await settled_rss_kib(server, cfg["settle_max_s"])
        # Per socket once the opening is over: the sockets' own memory. 2 s after the last open,
        # the group's presence storm may still be under way and the allocator may not have
        # handed its pages back yet; that figure is kept beside it.
        measured.update(rss_loaded_kib=settled, open=event["open"], rss_settle_s=settle_s,
                        rss_per_socket_kib=(settled - base) / count,
                        rss_per_socket_kib_2s=(loaded - base) / count)
        measured["drain_ms"], measured["exit_codes"] = await asyncio.to_thread(server.stop, cfg["drain_limit_s"])
        assert process.stdin is not None
        process.stdin.close()

    result = await run_loadgen(binary, plan, ["-mode", "idle", *common_args(cfg), "-hold", "600s"], on_event)
    measured["closed_by_server"] = result["closed_by_server"]
    measured["open_failures"] = result["open_failures"]
    return measured


async def default_settings_probe(work: Path, pop: Population, pg_url: str, redis_url: str, idle_s: float) -> dict[str, Any]:
    """Daphne with channels_redis's default layer settings (default_layer_settings.py): two users
    of a chat, idle for longer than BZPOPMIN's 5 s, then one message. Issue 14 says the receive loop dies and the
    acked message is never delivered; this reports what happens here."""
    import json

    from servers import ChannelsServer
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    server = ChannelsServer("Daphne, default settings", "daphne", work, pg_url, redis_url, "default_layer_settings")
    await asyncio.to_thread(server.start)
    chat = pop.pair_chats[0]
    url = server.url(f"/ws/chat/{chat}/")
    report: dict[str, Any] = {"idle_s": idle_s, "acked": False, "delivered": False, "closed_with": None}

    async def wait_type(ws: Any, kind: str) -> bool:
        while True:
            if json.loads(await ws.recv()).get("type") == kind:
                return True

    try:
        async with (
            connect(url, additional_headers={"Cookie": pop.cookies[0]}, origin="http://localhost") as a,  # type: ignore[arg-type]
            connect(url, additional_headers={"Cookie": pop.cookies[1]}, origin="http://localhost") as b,  # type: ignore[arg-type]
        ):
            await a.recv()
            await b.recv()
            await asyncio.sleep(idle_s)
            try:
                await a.send(json.dumps({"type": "send", "client_id": f"probe-{time.time_ns()}", "body": "after idle"}))
                report["acked"] = await asyncio.wait_for(wait_type(a, "ack"), 8)
                report["delivered"] = await asyncio.wait_for(wait_type(b, "message"), 8)
            except ConnectionClosed as closed:
                report["closed_with"] = closed.rcvd.code if closed.rcvd else None
            except TimeoutError:
                pass
    finally:
        await asyncio.to_thread(server.stop)
    log = work / f"daphne-{server.ports[0]}.log"
    text = log.read_text(errors="replace") if log.exists() else ""
    report["server_error"] = next((line.split("ERROR", 1)[1].strip() for line in text.splitlines()
                                   if "Exception inside application" in line), None)
    return report
