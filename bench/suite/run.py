"""bench/run: Tandem (one and two processes) against Daphne and uvicorn + channels_redis, every
workload of issue 14 in one run, on loopback with a real PostgreSQL and Redis. Writes JSON, a
Markdown table (ratios against Tandem on one process) and a PNG plot of p99 against offered rate.

--quick: small sizes, under 5 minutes, for CI (no timing assertions: it checks the suite works).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import report
import workloads as w
from bench_stack import django_stack
from population import make_population
from servers import ChannelsServer, Server, TandemServer

QUICK: dict[str, Any] = {
    "users": 100, "pairs": 50, "group": 50, "idle": 500, "avalanche": 400, "avalanche_in_flight": 100,
    "w2_rates": [50, 200], "w3_rates": [5, 20], "w3r_rates": [5], "shootout_sockets": 100, "echo_rates": [500], "broadcast_rates": [10],
    "step_s": 3, "grace_s": 3, "max_run_s": 120, "open_in_flight": 50, "error_budget": 500, "stop_p99_ms": 5000,
    "settle_s": 2, "settle_max_s": 60, "probe_idle_s": 7, "drain_limit_s": 15,
}
FULL: dict[str, Any] = {
    "users": 10_000, "pairs": 5_000, "group": 1_000, "idle": 10_000, "avalanche": 10_000, "avalanche_in_flight": 500,
    "w2_rates": [50, 200, 500, 1000, 1500, 2000, 3000, 5000], "w3_rates": [2, 5, 10, 20, 50],
    "w3r_rates": [2, 5, 10, 20],
    "shootout_sockets": 1000, "echo_rates": [1000, 5000], "broadcast_rates": [5, 20],
    "step_s": 10, "grace_s": 10, "max_run_s": 900, "open_in_flight": 200, "error_budget": 2000, "stop_p99_ms": 5000,
    "settle_s": 2, "settle_max_s": 180, "probe_idle_s": 7, "drain_limit_s": 60,
}
SERVERS = ("tandem1", "tandem2", "daphne", "uvicorn")


def versions() -> dict[str, str]:
    from importlib.metadata import version

    found = {p: version(p) for p in ("channels", "channels-redis", "redis", "daphne", "uvicorn", "websockets", "Django")}
    for name, cmd in (("redis-server", ["redis-server", "--version"]), ("go", ["go", "version"])):
        with contextlib.suppress(OSError):
            found[name] = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=10).stdout.strip()
    return found


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    import os

    return f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, load {os.getloadavg()[0]:.1f}"


def make_server(kind: str, stack: Any) -> Server:
    from django.conf import settings

    common = {"database": stack.pg.conninfo(), "redis_hosts": [stack.redis.url], "secret_key": settings.SECRET_KEY,
              "allowed_hosts": ["localhost"]}
    if kind == "tandem1":
        return TandemServer("Tandem 1 process", stack.work, 1, 2, common)
    if kind == "tandem2":
        return TandemServer("Tandem 2 processes", stack.work, 2, 1, common)
    label = {"daphne": "Daphne", "uvicorn": "uvicorn"}[kind]
    return ChannelsServer(f"{label} + channels_redis", kind, stack.work, stack.pg.url(), stack.redis.url)


async def measure_server(server: Server, binary: Path, stack: Any, services: w.Services, pop: Any,
                         cfg: dict[str, Any], only: list[str] | None) -> dict[str, Any]:
    def wanted(workload: str) -> bool:
        return only is None or workload in only

    print(f"== {server.name}", file=sys.stderr)
    work = stack.work / server.name.replace(" ", "_").replace("+", "")
    work.mkdir(exist_ok=True)
    out: dict[str, Any] = {"ready_ms": await asyncio.to_thread(server.start)}
    try:
        # W3 first: its members then connect to a fresh server, offline until now, so their
        # arrivals are announced and the presence storm is measured (after W2 they would still be
        # counted online through the disconnect grace, and nothing would be announced).
        if wanted("w3"):
            out["w3"] = await w.w3_group(binary, work, services, server, pop, cfg)
        if wanted("w3r"):
            out["w3r"] = await w.w3r_group_receipts(binary, work, services, server, pop, cfg)
        if wanted("w2"):
            out["w2"] = await w.w2_chat(binary, work, services, server, pop, cfg)
        if server.shootout and wanted("shootout"):
            out["shootout"] = await w.shootout(binary, work, services, server, cfg)
        if wanted("w5"):
            out["w5"] = await w.w5_avalanche(binary, work, services, server, pop, cfg)
        if wanted("w1"):
            # Idle RSS on a fresh process: memory freed by the earlier workloads would hide the cost.
            await asyncio.to_thread(server.stop, cfg["drain_limit_s"])
            out["ready_again_ms"] = await asyncio.to_thread(server.start)
            out["w1"] = await w.w1_idle_then_w7_drain(binary, work, services, server, pop, cfg)
    finally:
        if server.pids():
            await asyncio.to_thread(server.stop)
    return out


async def run(args: argparse.Namespace) -> dict[str, Any]:
    cfg = dict(QUICK if args.quick else FULL)
    for override in args.set:
        key, _, value = override.partition("=")
        if key not in cfg:
            raise SystemExit(f"--set {key}: not a setting (one of {', '.join(cfg)})")
        cfg[key] = json.loads(value)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    async with django_stack() as stack:
        pop = await asyncio.to_thread(make_population, max(cfg["users"], 2 * cfg["pairs"], cfg["group"]), cfg["group"])
        pg_pid = int((stack.pg.data / "postmaster.pid").read_text().split()[0])
        assert stack.redis.process is not None
        services = w.Services(stack.redis.process.pid, pg_pid, stack.redis.client(), stack.pg.url())
        results: dict[str, Any] = {}
        for kind in args.servers:
            server = make_server(kind, stack)
            results[server.name] = await measure_server(server, args.loadgen, stack, services, pop, cfg, args.only)
        run_info: dict[str, Any] = {"started": started, "mode": "quick" if args.quick else "full", "machine": machine(),
                                    "versions": versions(), "config": cfg, "servers": results}
        if "daphne" in args.servers and not args.skip_probe:
            run_info["default_settings_probe"] = await w.default_settings_probe(
                stack.work, pop, stack.pg.url(), stack.redis.url, cfg["probe_idle_s"])
        return run_info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, under 5 minutes (CI)")
    parser.add_argument("--loadgen", type=Path, required=True, help="the built bench/loadgen binary")
    parser.add_argument("--out", type=Path, required=True, help="directory for results.json, results.md, p99.png")
    parser.add_argument("--servers", nargs="+", choices=SERVERS, default=list(SERVERS))
    parser.add_argument("--skip-probe", action="store_true", help="skip the Daphne default-settings probe")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=JSON",
                        help="override one size of the chosen mode, e.g. --set group=1000 --set 'w3_rates=[5,10]'")
    parser.add_argument("--only", nargs="+", choices=("w2", "w3", "w3r", "shootout", "w5", "w1"),
                        help="run only these workloads (W6 rides on W2 and W3, W7 on W1)")
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    began = time.monotonic()
    result = asyncio.run(run(args))
    result["wall_s"] = time.monotonic() - began
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(result, indent=1))
    table = report.markdown(result)
    (args.out / "results.md").write_text(table)
    report.plot(result, args.out / "p99.png")
    print(table)
    print(f"bench/run: {result['wall_s']:.0f} s; wrote {args.out}/results.json, results.md, p99.png", file=sys.stderr)


if __name__ == "__main__":
    main()
