"""An in-memory channel layer that also records every `send` and `group_send`, so a test can
assert what a view published (the message event, receipts, notifications) without Redis."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.test import override_settings


@dataclass
class CapturedEvents:
    """(target, event) pairs in publication order; target is a group or a channel name."""

    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def to(self, target: str) -> list[dict[str, Any]]:
        """The events published to one group or channel."""
        return [event for name, event in self.sent if name == target]

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        return [event for _, event in self.sent if event.get("type") == event_type]


class CapturingChannelLayer(InMemoryChannelLayer):
    """InMemoryChannelLayer that keeps a copy of what passes through it in `captured`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.captured = CapturedEvents()

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        self.captured.sent.append((channel, dict(message)))
        await super().send(channel, message)

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        self.captured.sent.append((group, dict(message)))
        await super().group_send(group, message)


@contextmanager
def capture_layer_events(alias: str = "default") -> Iterator[CapturedEvents]:
    """Within the block, CHANNEL_LAYERS[alias] is a CapturingChannelLayer; yields its record.

    Tandem publishes after the commit (transaction.on_commit): inside a TestCase, wrap the
    request in `self.captureOnCommitCallbacks(execute=True)` (pytest-django:
    `django_capture_on_commit_callbacks(execute=True)`) or the events are never sent."""
    layers = {alias: {"BACKEND": "tandem.testing.layer.CapturingChannelLayer"}}
    with override_settings(CHANNEL_LAYERS=layers):
        layer = get_channel_layer(alias)
        assert isinstance(layer, CapturingChannelLayer)
        yield layer.captured
