"""Channel-layer benchmark: Tandem's C++ layer against channels_redis doing the same work, on one
real Redis on loopback, printed as one table with ratios.

    .venv/bin/python bench/layer_bench.py [--messages 3000] [--group-sends 200]

Each row runs the same scenario twice, once through Tandem's layer (via tests/tools/layer_peer)
and once through channels_redis, and reports operations per second until every delivery
arrived. A second, smaller pass runs each scenario under Redis MONITOR to count, per operation,
the commands clients sent (round trips) and the commands run inside Lua scripts.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "python"))

from channels_redis.core import RedisChannelLayer
from harness.layer_peer import LayerPeer, pack
from harness.redis_server import RedisServer

WINDOW = 64  # operations in flight on each side, as a busy server would have
CAPACITY = 100_000  # both sides: the benchmark measures speed, not back-pressure
MESSAGE = {"type": "chat.message", "message": {"id": 123456, "chat": 42, "body": "hello there, how are you?"}}


class CommandCounter:
    """Counts commands seen by MONITOR, split into client commands and Lua-internal ones."""

    def __init__(self, server: RedisServer) -> None:
        self.client_commands = 0
        self.lua_commands = 0
        self._client = server.client()
        self._monitor = self._client.monitor().__enter__()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()
        time.sleep(0.1)

    def _listen(self) -> None:
        try:
            for command in self._monitor.listen():
                if command.get("command", "").upper().startswith(("INFO", "MONITOR")):
                    continue
                if command.get("client_type") == "lua":
                    self.lua_commands += 1
                else:
                    self.client_commands += 1
        except Exception:  # noqa: BLE001 - the connection is closed to stop listening
            return

    def snapshot(self) -> tuple[int, int]:
        time.sleep(0.2)  # let MONITOR catch up
        return self.client_commands, self.lua_commands

    def close(self) -> None:
        self._monitor.connection.disconnect()


async def python_sends(layer: RedisChannelLayer, channel: str, count: int) -> None:
    semaphore = asyncio.Semaphore(WINDOW)

    async def one() -> None:
        async with semaphore:
            await layer.send(channel, MESSAGE)

    await asyncio.gather(*(one() for _ in range(count)))


async def python_receives(layer: RedisChannelLayer, channel: str, count: int) -> None:
    for _ in range(count):
        await layer.receive(channel)


def wait_cpp_received(peer: LayerPeer, total: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while peer.stats()["received_events"] < total:
        if time.monotonic() > deadline:
            raise TimeoutError("the C++ peer did not receive everything")
        time.sleep(0.002)


@dataclass
class Bench:
    server: RedisServer
    wire: LayerPeer  # group messages for its own channels go through Redis
    fast: LayerPeer  # local fast path on

    def layer(self) -> RedisChannelLayer:
        return RedisChannelLayer(hosts=[self.server.url], capacity=CAPACITY)

    def py_to_py(self, count: int) -> None:
        async def go() -> None:
            sender, receiver = self.layer(), self.layer()
            channel = await receiver.new_channel()
            await asyncio.gather(
                python_sends(sender, channel, count), python_receives(receiver, channel, count)
            )

        asyncio.run(go())

    def cpp_send(self, peer: LayerPeer, channel: str, count: int) -> threading.Thread:
        sender = threading.Thread(
            target=peer.request,
            args=("bench_send",),
            kwargs={"channel": channel, "count": count, "message_hex": pack(MESSAGE), "window": WINDOW},
        )
        sender.start()
        return sender

    def cpp_to_py(self, count: int) -> None:
        async def go() -> None:
            receiver = self.layer()
            channel = await receiver.new_channel()
            sender = self.cpp_send(self.wire, channel, count)
            await python_receives(receiver, channel, count)
            sender.join()

        asyncio.run(go())

    def py_to_cpp(self, count: int) -> None:
        channel = self.wire.new_channel()
        before = self.wire.stats()["received_events"]
        asyncio.run(python_sends(self.layer(), channel, count))
        wait_cpp_received(self.wire, before + count)

    def cpp_to_cpp(self, count: int) -> None:
        channel = self.fast.new_channel()  # another process: sent through Redis
        before = self.fast.stats()["received_events"]
        self.cpp_send(self.wire, channel, count).join()
        wait_cpp_received(self.fast, before + count)

    def py_group(self, members: int, sends: int) -> None:
        async def go() -> None:
            layer = self.layer()
            group = f"py{members}-{time.monotonic_ns()}"
            channels = [await layer.new_channel() for _ in range(members)]
            for channel in channels:
                await layer.group_add(group, channel)
            receivers = [asyncio.create_task(python_receives(layer, c, sends)) for c in channels]
            semaphore = asyncio.Semaphore(WINDOW)

            async def one() -> None:
                async with semaphore:
                    await layer.group_send(group, MESSAGE)

            await asyncio.gather(*(one() for _ in range(sends)))
            await asyncio.gather(*receivers)

        asyncio.run(go())

    def cpp_group(self, peer: LayerPeer, members: int, sends: int) -> Callable[[], None]:
        """Sets the group up now; returns the timed part."""
        group = f"cpp{members}-{time.monotonic_ns()}"
        for _ in range(members):
            peer.group_add(group, peer.new_channel())

        def work() -> None:
            before = peer.stats()["received_events"]
            peer.request(
                "bench_group_send", group=group, count=sends, message_hex=pack(MESSAGE), window=WINDOW
            )
            wait_cpp_received(peer, before + members * sends)

        return work


def timed(work: Callable[[], None]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def counted(server: RedisServer, work: Callable[[], None], ops: int) -> tuple[float, float]:
    counter = CommandCounter(server)
    try:
        before = counter.snapshot()
        work()
        after = counter.snapshot()
    finally:
        counter.close()
    return (after[0] - before[0]) / ops, (after[1] - before[1]) / ops


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--group-sends", type=int, default=200)
    args = parser.parse_args()
    n, g = args.messages, args.group_sends
    small_n, small_g = max(50, n // 20), max(10, g // 10)

    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServer(Path(tmp) / "redis")
        server.start()
        wire = LayerPeer([server.url], "--count-only", "--no-fast-path", "--capacity", str(CAPACITY))
        fast = LayerPeer([server.url], "--count-only", "--capacity", str(CAPACITY))
        b = Bench(server, wire, fast)
        # (name, ops, tandem work(count), python work(count))
        rows: list[
            tuple[str, int, Callable[[int], Callable[[], None]], Callable[[int], Callable[[], None]]]
        ] = [
            ("1:1, sidecar → sidecar", n, lambda c: lambda: b.cpp_to_cpp(c), lambda c: lambda: b.py_to_py(c)),
            ("1:1, sidecar → Python", n, lambda c: lambda: b.cpp_to_py(c), lambda c: lambda: b.py_to_py(c)),
            ("1:1, Python → sidecar", n, lambda c: lambda: b.py_to_cpp(c), lambda c: lambda: b.py_to_py(c)),
        ]
        for members in (1, 10, 100, 1000):
            sends = g if members < 1000 else max(10, g // 4)
            for path, peer in (("via Redis", wire), ("in-process", fast)):
                rows.append(
                    (
                        f"group_send to {members} member{'s' * (members > 1)} ({path})",
                        sends,
                        lambda c, p=peer, m=members: b.cpp_group(p, m, c),
                        lambda c, m=members: lambda: b.py_group(m, c),
                    )
                )
        try:
            results = []
            for name, ops, tandem, python in rows:
                t_rate = ops / timed(tandem(ops))
                p_rate = ops / timed(python(ops))
                small = small_n if name.startswith("1:1") else max(5, small_g if ops == g else small_g // 2)
                t_cmds = counted(server, tandem(small), small)
                p_cmds = counted(server, python(small), small)
                results.append((name, ops, t_rate, p_rate, t_cmds, p_cmds))
        finally:
            wire.close()
            fast.close()
            server.stop()

    print(
        f"\nchannel layer: Tandem (C++) vs channels_redis {_version()} (Python), one Redis on loopback, "
        f"{WINDOW} operations in flight\n"
    )
    header = (
        "scenario",
        "ops",
        "Tandem ops/s",
        "Python ops/s",
        "ratio",
        "Tandem round trips/op",
        "Python round trips/op",
        "Tandem Lua cmds/op",
        "Python Lua cmds/op",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for name, ops, t_rate, p_rate, (t_rt, t_lua), (p_rt, p_lua) in results:
        print(
            f"| {name} | {ops} | {t_rate:,.0f} | {p_rate:,.0f} | {t_rate / p_rate:.1f}x | {t_rt:.2f} | {p_rt:.2f} "
            f"| {t_lua:.2f} | {p_lua:.2f} |"
        )
    print(
        "\nround trips/op: commands clients sent to Redis per operation, both ends together (sender and "
        "receiver); Lua cmds/op: commands run inside scripts."
    )


def _version() -> str:
    import channels_redis

    return channels_redis.__version__


if __name__ == "__main__":
    main()
