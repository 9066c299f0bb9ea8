"""A group message reaching many sockets of one worker is turned into its frame once and shared
by every socket's queue (sidecar/net/decoded_event.hpp): each socket must still get exactly
the messages of its own groups, once each, in order, even when messages for overlapping
groups follow each other closely."""

from __future__ import annotations

import asyncio
from contextlib import ExitStack
from typing import Any

from channels.layers import get_channel_layer
from websockets.sync.client import ClientConnection
from wsclient import greeting, next_frame, open_socket

ROUNDS = 25


def notifications(ws: ClientConnection, count: int) -> list[str]:
    """The texts of the next `count` notification frames (other frames, e.g. presence, skipped)."""
    texts: list[str] = []
    while len(texts) < count:
        frame = next_frame(ws, timeout=15)
        if frame["type"] == "notification":
            texts.append(frame["text"])
    return texts


async def send_interleaved(chat_group: str, user_group: str) -> None:
    layer: Any = get_channel_layer()
    for i in range(ROUNDS):
        await layer.group_send(chat_group, {"type": "notification", "text": f"chat {i}"})
        await layer.group_send(user_group, {"type": "notification", "text": f"bob {i}"})


def test_overlapping_groups_each_socket_gets_its_own_messages_once_in_order(world: Any, sidecar: Any) -> None:
    chat_url = sidecar.ws_url(f"/ws/chat/{world.chat.pk}/")
    lists_url = sidecar.ws_url("/ws/notifications/")
    with ExitStack() as stack:
        # ann's chat pages hear the chat group only; bob's chat lists hear the chat group and his
        # own user group, so one message is shared by five sockets and the next by two.
        ann_tabs = [stack.enter_context(open_socket(chat_url, world.cookie(world.ann))) for _ in range(3)]
        bob_tabs = [stack.enter_context(open_socket(lists_url, world.cookie(world.bob))) for _ in range(2)]
        for ws in ann_tabs + bob_tabs:
            greeting(ws)
        asyncio.run(send_interleaved(f"chat_{world.chat.pk}", f"user_{world.bob.pk}"))
        chat_texts = [f"chat {i}" for i in range(ROUNDS)]
        bob_texts = [f"bob {i}" for i in range(ROUNDS)]
        for ws in ann_tabs:
            assert notifications(ws, ROUNDS) == chat_texts
        for ws in bob_tabs:
            # The two groups' messages are two streams (only each one's own order is promised).
            got = notifications(ws, 2 * ROUNDS)
            assert [text for text in got if text.startswith("chat ")] == chat_texts
            assert [text for text in got if text.startswith("bob ")] == bob_texts
        # Nothing extra behind them (a frame shared by mistake would show up here).
        layer: Any = get_channel_layer()
        asyncio.run(layer.group_send(f"user_{world.ann.pk}", {"type": "notification", "text": "end"}))
        for ws in ann_tabs:
            assert notifications(ws, 1) == ["end"]
