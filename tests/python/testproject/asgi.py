"""ASGI entry point of the test project: Django for HTTP, the example bridge for channels."""

from __future__ import annotations

from django.core.asgi import get_asgi_application

# Set up Django before importing anything that touches models.
django_application = get_asgi_application()

from channels.routing import ChannelNameRouter, ProtocolTypeRouter

from testproject.bridge import EchoBridge, SyncEchoBridge

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "channel": ChannelNameRouter(
            {"tandem.bridge": EchoBridge.as_asgi(), "tandem.bridge.sync": SyncEchoBridge.as_asgi()}
        ),
    }
)
