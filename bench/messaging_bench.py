"""Messaging benchmark: send→ack and send→deliver latency between two users on loopback (real
PostgreSQL and Redis), Tandem on one process, Tandem with the users on two processes, and
Daphne + channels_redis running the equivalent Channels consumer
(tests/python/testproject/consumers.py: ChatConsumer, storing through the same SQL function).
One message in flight at a time, so the figures are latencies, not throughput. Prints a
Markdown table with ratios against the Daphne baseline.

Run: PYTHONPATH=build/dev/python:django_integration:tests/python .venv/bin/python bench/messaging_bench.py \
         [--messages 10000] [--baseline-messages 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time

from bench_stack import django_stack, open_ws, session_of
from connect_bench import start_daphne, wait_http


async def next_of_type(ws, frame_type: str, client_id: str) -> float:
    while True:
        frame = json.loads(await ws.recv())
        if frame["type"] == frame_type and frame.get("client_id") == client_id:
            return time.perf_counter()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def scenario(
    name: str, sender_url: str, recipient_url: str, cookies: tuple[str, str], count: int
) -> dict:
    sender = await open_ws(sender_url, cookies[0])
    recipient = await open_ws(recipient_url, cookies[1])
    acks, deliveries = [], []
    try:
        for i in range(count):
            client_id = f"{name}-{i}"
            started = time.perf_counter()
            await sender.send(json.dumps({"type": "send", "client_id": client_id, "body": f"message {i}"}))
            acked, delivered = await asyncio.gather(
                next_of_type(sender, "ack", client_id), next_of_type(recipient, "message", client_id)
            )
            acks.append((acked - started) * 1000)
            deliveries.append((delivered - started) * 1000)
    finally:
        await sender.close()
        await recipient.close()
    print(f"{name}: {count} messages", file=sys.stderr)
    return {
        "count": count,
        "ack_p50": statistics.median(acks),
        "ack_p99": percentile(acks, 0.99),
        "deliver_p50": statistics.median(deliveries),
        "deliver_p99": percentile(deliveries, 0.99),
    }


async def run(args: argparse.Namespace) -> None:
    async with django_stack() as stack:
        from django.contrib.auth import get_user_model
        from harness.redis_server import free_port
        from tandem.models import Chat

        def prepare() -> tuple[int, tuple[str, str]]:
            users = [get_user_model().objects.create_user(n, password="pw") for n in ("ann", "bob")]
            return Chat.create_with_members(users).pk, (session_of(users[0]), session_of(users[1]))

        chat_id, cookies = await asyncio.to_thread(prepare)
        path = f"/ws/chat/{chat_id}/"
        unlimited = {"threads": 1, "rate_messages_per_second": 1e6, "rate_burst": 1e6}
        one, two = stack.sidecar(**unlimited), stack.sidecar(**unlimited)
        results = {
            "Tandem, one process": await scenario(
                "one", one.ws_url(path), one.ws_url(path), cookies, args.messages
            ),
            "Tandem, users on two processes": await scenario(
                "two", one.ws_url(path), two.ws_url(path), cookies, args.messages
            ),
        }
        port = free_port()
        daphne = start_daphne(port, stack.pg.url(), stack.redis.url, stack.work / "daphne.log")
        try:
            await asyncio.to_thread(wait_http, port)
            url = f"ws://127.0.0.1:{port}{path}"
            results["Daphne + channels_redis"] = await scenario(
                "daphne", url, url, cookies, min(args.baseline_messages, args.messages)
            )
        finally:
            daphne.terminate()
            daphne.wait(timeout=30)

    base = results["Daphne + channels_redis"]
    print(
        "messaging benchmark: two users on loopback, real PostgreSQL + Redis, one message in flight; "
        "latency in ms (ratio = Daphne / row)\n"
    )
    print(
        "| setup | messages | send→ack p50 | p99 | send→deliver p50 | p99 | deliver p50 ratio | deliver p99 ratio |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['count']} | {r['ack_p50']:.2f} | {r['ack_p99']:.2f} | {r['deliver_p50']:.2f} | "
            f"{r['deliver_p99']:.2f} | {base['deliver_p50'] / r['deliver_p50']:.1f}x | "
            f"{base['deliver_p99'] / r['deliver_p99']:.1f}x |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=10_000, help="messages per Tandem setup")
    parser.add_argument(
        "--baseline-messages", type=int, default=2_000, help="messages for the slower Daphne run"
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
