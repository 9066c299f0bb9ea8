"""The real channels_redis layer, configured over the same ordered hosts as the C++ peer."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from channels_redis.core import RedisChannelLayer

from harness.redis_server import RedisServer

T = TypeVar("T")

# Layers made by python_layer(); run() closes their pools inside the loop that opened them
# (channels_redis 4.0.0 leaks one connection per event loop otherwise).
_layers: list[RedisChannelLayer] = []


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    async def and_close() -> T:
        try:
            return await coroutine
        finally:
            for layer in _layers:
                await layer.close_pools()

    return asyncio.run(and_close())


def python_layer(servers: list[RedisServer], **config: Any) -> RedisChannelLayer:
    return python_layer_for_hosts([s.url for s in servers], **config)


# Above channels_redis's BZPOPMIN timeout (5 s): with redis-py 8.1 the default socket_timeout
# equals it, and a receive() waiting longer than 5 s (a runworker still starting under load)
# died with "Timeout reading from ..." instead of waiting for its own timeout (docs/benchmarks.md).
# channels_redis 4.0 ignores the key.
SOCKET_TIMEOUT_S = 30


def with_socket_timeout(host: Any) -> Any:
    if isinstance(host, str):
        return {"address": host, "socket_timeout": SOCKET_TIMEOUT_S}
    if isinstance(host, dict) and "address" in host:
        return {"socket_timeout": SOCKET_TIMEOUT_S, **host}
    return host


def python_layer_for_hosts(hosts: list[Any], **config: Any) -> RedisChannelLayer:
    layer = RedisChannelLayer(hosts=[with_socket_timeout(h) for h in hosts], **config)
    _layers.append(layer)
    return layer


async def receive(layer: RedisChannelLayer, channel: str, timeout: float = 5) -> dict[str, Any]:
    return await asyncio.wait_for(layer.receive(channel), timeout)
