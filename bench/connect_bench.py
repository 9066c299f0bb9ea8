"""Connection benchmark for the sidecar: connect+auth latency (p50/p99 over sequential connects
with a real Django session in a real PostgreSQL), RSS per idle authenticated connection, and the
time a SIGTERM drain takes with all of them open. Prints a Markdown table.

Run: PYTHONPATH=build/dev/python:django_integration:tests/python .venv/bin/python bench/connect_bench.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import statistics
import sys
import tempfile
import time
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

    ws = await connect(url, additional_headers={"Cookie": f"sessionid={cookie}"}, origin="http://localhost",
                       open_timeout=30, ping_interval=None, max_queue=4)
    await ws.recv()  # hello: the socket is authenticated and joined its groups
    return ws


async def run(args: argparse.Namespace) -> None:
    import django
    from django.conf import settings
    from harness.postgres_server import PostgresServer
    from harness.redis_server import RedisServer
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
        sidecar = SidecarProcess(work / "sidecar", database=pg.conninfo(), redis_hosts=[redis.url],
                                 secret_key=settings.SECRET_KEY, allowed_hosts=["localhost"], log_level="warn",
                                 max_connections_per_user=args.idle + 10, threads=args.threads)
        sidecar.start()
        url = sidecar.ws_url("/ws/notifications/")

        latencies = []
        for _ in range(args.connects):
            started = time.perf_counter()
            ws = await connect_once(url, cookie)
            latencies.append((time.perf_counter() - started) * 1000)
            await ws.close()
        latencies.sort()
        p50 = statistics.median(latencies)
        p99 = latencies[int(len(latencies) * 0.99) - 1]

        base = rss_kib(sidecar.process.pid)
        sockets = []
        for start in range(0, args.idle, 200):
            batch = [connect_once(url, cookie) for _ in range(min(200, args.idle - start))]
            sockets += await asyncio.gather(*batch)
        await asyncio.sleep(1)
        loaded = rss_kib(sidecar.process.pid)
        per_conn = (loaded - base) * 1024 / max(len(sockets), 1)

        started = time.perf_counter()
        sidecar.process.send_signal(signal.SIGTERM)
        exit_code = await asyncio.to_thread(sidecar.process.wait, 60)
        drain_ms = (time.perf_counter() - started) * 1000
        for ws in sockets:
            await ws.close()

        print(f"\nsidecar connection benchmark ({args.threads} I/O threads, loopback, real PostgreSQL + Redis)\n")
        print("| measure | value |")
        print("|---|---|")
        print(f"| connect+auth to hello, p50 ({args.connects} sequential) | {p50:.2f} ms |")
        print(f"| connect+auth to hello, p99 | {p99:.2f} ms |")
        print(f"| RSS before idle sockets | {base / 1024:.1f} MiB |")
        print(f"| RSS with {len(sockets)} idle authenticated sockets | {loaded / 1024:.1f} MiB |")
        print(f"| RSS per idle connection | {per_conn:,.0f} bytes |")
        print(f"| SIGTERM drain with {len(sockets)} sockets (exit code {exit_code}) | {drain_ms:.0f} ms |")
    finally:
        redis.stop()
        pg.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connects", type=int, default=1000)
    parser.add_argument("--idle", type=int, default=10000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.idle * 2 + 1000)), hard))
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
