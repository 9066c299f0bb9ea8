"""Settings of the Channels baselines (Daphne and uvicorn + channels_redis) as the benchmark runs
them: the test project's, measured at their best.

With redis-py 8.1 and channels_redis 4.3 as installed, redis-py's default `socket_timeout` equals
channels_redis's BZPOPMIN timeout (5 s): after 5 s without traffic the receive loop's read times
out, the loop dies, and acked messages are never delivered (bench/run reports this with the
default settings). A socket_timeout above the BZPOPMIN timeout keeps it alive; CONN_MAX_AGE keeps
PostgreSQL connections instead of opening one per consumer call."""

from __future__ import annotations

import os

from testproject.settings import *
from testproject.settings import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = 600
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": os.environ.get("TANDEM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
                    "socket_timeout": 30,
                }
            ],
        },
    }
}
