"""Typing benchmark: 200 typists in 100 chats (two per chat, each seeing the other), every
typist sending 10 keystroke notices a second, on one sidecar process with real Redis and
PostgreSQL. Reports what the core's rate rule and the per-socket batching make of that storm:
keystrokes in, typing events forwarded through the channel layer, typing frames delivered to
sockets, and the delay from a first keystroke to the other member's frame.

There is no Daphne column: the baseline Channels consumer has no typing rules, and a
consumer that forwards every keystroke sends exactly the keystroke rate.

Run: PYTHONPATH=build/dev/python:django_integration:tests/python .venv/bin/python bench/typing_bench.py \
         [--chats 100] [--rate 10] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time

from bench_stack import django_stack, open_ws, session_of


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


async def run(args: argparse.Namespace) -> None:
    async with django_stack() as stack:
        from django.contrib.auth import get_user_model
        from tandem.models import Chat

        def prepare() -> list[tuple[int, str]]:
            typists = []
            for n in range(args.chats):
                pair = [get_user_model().objects.create_user(f"t{n}{s}", password="pw") for s in "ab"]
                chat = Chat.create_with_members(pair)
                typists += [(chat.pk, session_of(user)) for user in pair]
            return typists

        typists = await asyncio.to_thread(prepare)
        sidecar = stack.sidecar(threads=1, max_connections_per_user=10)
        sockets = [await open_ws(sidecar.ws_url(f"/ws/chat/{chat}/"), cookie) for chat, cookie in typists]
        frames = 0
        first_seen: dict[int, float] = {}
        started_at = time.perf_counter()

        async def read(index: int, ws) -> None:
            nonlocal frames
            async for raw in ws:
                frame = json.loads(raw)
                if frame["type"] == "typing":
                    frames += 1
                    first_seen.setdefault(index, time.perf_counter())

        async def type_away(ws) -> None:
            deadline = started_at + args.seconds
            while (now := time.perf_counter()) < deadline:
                await ws.send(json.dumps({"type": "typing", "state": "start"}))
                await asyncio.sleep(max(0.0, 1 / args.rate - (time.perf_counter() - now)))

        readers = [asyncio.create_task(read(i, ws)) for i, ws in enumerate(sockets)]
        before = metric(sidecar.get("/metrics")[1], "tandem_typing_forwards_total")
        await asyncio.gather(*[type_away(ws) for ws in sockets])
        elapsed = time.perf_counter() - started_at
        await asyncio.sleep(0.5)
        forwards = metric(sidecar.get("/metrics")[1], "tandem_typing_forwards_total") - before
        delays = [(seen - started_at) * 1000 for seen in first_seen.values()]
        for task in readers:
            task.cancel()
        for ws in sockets:
            await ws.close()

    keystrokes = len(sockets) * args.rate
    print(
        f"typing benchmark: {len(sockets)} typists in {args.chats} chats, {args.rate} keystrokes/s each, "
        f"{elapsed:.1f} s, one sidecar process (1 I/O thread)\n"
    )
    print("| measure | per second |")
    print("|---|---|")
    print(f"| keystroke notices sent by clients | {keystrokes:,.0f} |")
    print(f"| typing events forwarded (channel layer) | {forwards / elapsed:,.1f} |")
    print(f"| typing frames delivered to sockets | {frames / elapsed:,.1f} |")
    print(f"| reduction, keystrokes → frames | {keystrokes / max(frames / elapsed, 1e-9):,.1f}x |")
    print(
        f"\nfirst keystroke → the other member's typing frame: p50 {statistics.median(delays):.1f} ms, "
        f"max {max(delays):.1f} ms ({len(delays)} of {len(sockets)} sockets saw one)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chats", type=int, default=100)
    parser.add_argument("--rate", type=float, default=10, help="keystroke notices per second per typist")
    parser.add_argument("--seconds", type=float, default=10)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
