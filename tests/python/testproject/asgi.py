"""ASGI entry point of the test project: Django for HTTP, the example bridge for channels, and the
Channels notifications and chat consumers that the benchmarks use as the Daphne baseline."""

from __future__ import annotations

from django.core.asgi import get_asgi_application

# Set up Django before importing anything that touches models.
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack
from channels.routing import ChannelNameRouter, ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from testproject.bridge import EchoBridge, SyncEchoBridge
from testproject.consumers import ChatConsumer, NotificationsConsumer

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(
                URLRouter(
                    [
                        path("ws/notifications/", NotificationsConsumer.as_asgi()),
                        path("ws/chat/<int:chat_id>/", ChatConsumer.as_asgi()),
                    ]
                )
            )
        ),
        "channel": ChannelNameRouter(
            {"tandem.bridge": EchoBridge.as_asgi(), "tandem.bridge.sync": SyncEchoBridge.as_asgi()}
        ),
    }
)
