"""The test project's settings with its channel layer as channels_redis's documentation shows it
(`"hosts": [url]`, redis-py's default `socket_timeout`): what bench/run's default-settings probe
runs Daphne with, to show what sites running the defaults get. (The test project itself gives a
30 s `socket_timeout`, as docs/protocol.md advises.)"""

from __future__ import annotations

import os

from testproject.settings import *

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [os.environ.get("TANDEM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")]},
    }
}
