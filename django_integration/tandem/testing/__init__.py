"""Tools for testing a site that uses Tandem, as `channels.testing` is for consumers:
`capture_layer_events()` records what views and site code publish on the channel layer, and
`BridgeCommunicator` drives a `BridgeConsumer` subclass with client frames, and
`TandemLiveServerTestCase` runs the real sidecar for end-to-end tests (docs/django.md, "Testing
your site")."""

from __future__ import annotations

from tandem.testing.bridge import BridgeCommunicator
from tandem.testing.layer import CapturedEvents, CapturingChannelLayer, capture_layer_events
from tandem.testing.live import LiveSidecar, TandemLiveServerTestCase

__all__ = [
    "BridgeCommunicator",
    "CapturedEvents",
    "CapturingChannelLayer",
    "LiveSidecar",
    "TandemLiveServerTestCase",
    "capture_layer_events",
]
