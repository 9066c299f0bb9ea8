"""Connection benchmark, Tandem against Daphne + channels_redis running the equivalent Channels
consumer (tests/python/testproject/consumers.py): connect+auth latency (p50/p99 over sequential
connects with a real Django session in a real PostgreSQL), RSS per idle authenticated connection,
and SIGTERM-to-exit time with all of them open. Prints a Markdown table with ratios.

Run: PYTHONPATH=build/dev/python:django_integration:tests/python .venv/bin/python bench/connect_bench.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "python"), str(ROOT / "django_integration")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testproject.settings")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def connect_once(url: str, cookie: str) -> object:
    from websockets.asyncio.client import connect

    ws = await connect(
        url,
        additional_headers={"Cookie": f"sessionid={cookie}"},
        origin="http://localhost",
        open_timeout=30,
        ping_interval=None,
        max_queue=4,
    )
    await ws.recv()  # hello: the socket is authenticated and joined its groups
    return ws


async def measure(name: str, url: str, pid: int, cookie: str, args: argparse.Namespace) -> dict[str, float]:
    """Sequential connect latency, then RSS with `args.idle` idle sockets (all in `pid`)."""
    latencies = []
    for _ in range(args.connects):
        started = time.perf_counter()
        ws = await connect_once(url, cookie)
        latencies.append((time.perf_counter() - started) * 1000)
        await ws.close()
    latencies.sort()
    base = rss_kib(pid)
    sockets = []
    for start in range(0, args.idle, args.batch):
        sockets += await asyncio.gather(
            *[connect_once(url, cookie) for _ in range(min(args.batch, args.idle - start))]
        )
    await asyncio.sleep(1)
    loaded = rss_kib(pid)
    print(f"{name}: {len(sockets)} idle sockets open", file=sys.stderr)
    return {
        "p50": statistics.median(latencies),
        "p99": latencies[int(len(latencies) * 0.99) - 1],
        "base_mib": base / 1024,
        "loaded_mib": loaded / 1024,
        "per_conn": (loaded - base) * 1024 / max(len(sockets), 1),
        "sockets": sockets,  # type: ignore[dict-item]
    }


async def drain(process: subprocess.Popen[bytes], sockets: list) -> tuple[float, int]:
    """Milliseconds from SIGTERM to exit with every socket open, and the exit status."""
    started = time.perf_counter()
    process.send_signal(signal.SIGTERM)
    try:
        code = await asyncio.to_thread(process.wait, 120)
    except subprocess.TimeoutExpired:
        process.kill()
        code = await asyncio.to_thread(process.wait)
    elapsed = (time.perf_counter() - started) * 1000
    await asyncio.gather(*[ws.close() for ws in sockets], return_exceptions=True)
    return elapsed, code


def start_daphne(port: int, pg_url: str, redis_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "bench" / "suite"), str(ROOT / "tests" / "python"), *sys.path]),
        # The test project's settings with a working redis socket_timeout and pooled database
        # connections: with the defaults, channels_redis's receive loop dies after 5 s idle.
        "DJANGO_SETTINGS_MODULE": "baseline_settings",
        "TANDEM_TEST_DATABASE_URL": pg_url,
        "TANDEM_TEST_REDIS_URL": redis_url,
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "testproject.asgi:application",
            ],
            env=env,
            stdout=out,
            stderr=out,
        )


def wait_http(port: int, limit_s: float = 30) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer means it is serving
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing answers on port {port}")


async def run(args: argparse.Namespace) -> None:
    import django
    from django.conf import settings
    from harness.postgres_server import PostgresServer
    from harness.redis_server import RedisServer, free_port
    from harness.sidecar_process import SidecarProcess

    work = Path(tempfile.mkdtemp(prefix="tandem-bench-"))
    pg = PostgresServer()
    pg.start()
    redis = RedisServer(work / "redis")
    redis.start()
    try:
        settings.DATABASES["default"].update(pg.django_settings())
        django.setup()
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.test import Client

        await asyncio.to_thread(call_command, "migrate", verbosity=0)
        user = await asyncio.to_thread(get_user_model().objects.create_user, "bench", password="pw")

        def login() -> str:
            client = Client()
            client.force_login(user)
            return client.cookies[settings.SESSION_COOKIE_NAME].value

        cookie = await asyncio.to_thread(login)
        sidecar = SidecarProcess(
            work / "sidecar",
            database=pg.conninfo(),
            redis_hosts=[redis.url],
            secret_key=settings.SECRET_KEY,
            allowed_hosts=["localhost"],
            log_level="warn",
            max_connections_per_user=args.idle + 10,
            threads=args.threads,
        )
        sidecar.start()
        tandem = await measure(
            "tandem", sidecar.ws_url("/ws/notifications/"), sidecar.process.pid, cookie, args
        )
        tandem["drain_ms"], tandem["exit"] = await drain(sidecar.process, tandem.pop("sockets"))

        port = free_port()
        daphne = start_daphne(port, pg.url(), redis.url, work / "daphne.log")
        await asyncio.to_thread(wait_http, port)
        python = await measure("daphne", f"ws://127.0.0.1:{port}/ws/notifications/", daphne.pid, cookie, args)
        python["drain_ms"], python["exit"] = await drain(daphne, python.pop("sockets"))

        def row(label: str, key: str, fmt: str, better_low: bool = True) -> None:
            t, p = tandem[key], python[key]
            ratio = (p / t if better_low else t / p) if t and p else float("nan")
            print(f"| {label} | {format(t, fmt)} | {format(p, fmt)} | {ratio:.1f}x |")

        print(
            f"\nconnect benchmark: Tandem ({args.threads} I/O threads) vs Daphne + channels_redis"
            f" (one process), loopback, real PostgreSQL + Redis, one user's Django session\n"
        )
        print("| measure | Tandem | Daphne | Tandem advantage |")
        print("|---|---|---|---|")
        row(f"connect+auth to hello, p50 ms ({args.connects} sequential)", "p50", ".2f")
        row("connect+auth to hello, p99 ms", "p99", ".2f")
        row("RSS before idle sockets, MiB", "base_mib", ".1f")
        row(f"RSS with {args.idle} idle authenticated sockets, MiB", "loaded_mib", ".1f")
        row("RSS per idle connection, bytes", "per_conn", ",.0f")
        row(f"SIGTERM to exit with {args.idle} sockets open, ms", "drain_ms", ".0f")
        print(
            f"\nexit status after SIGTERM: Tandem {tandem['exit']}, Daphne {python['exit']}."
            " Tandem closes every socket with 1012 first; Daphne's time is its own shutdown."
        )
    finally:
        redis.stop()
        pg.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connects", type=int, default=1000)
    parser.add_argument("--idle", type=int, default=10000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--batch",
        type=int,
        default=20,
        help="idle sockets opened at once (channels_redis's pool refuses ~100)",
    )
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.idle * 2 + 1000)), hard))
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
