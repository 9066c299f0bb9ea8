"""Minimal Django project the Python tests run against (channels' sample_project idea).

Redis and PostgreSQL run on free ports chosen by the test fixtures, which tell child processes
(runworker, manage.py tandem) where they are through TANDEM_TEST_REDIS_URL and
TANDEM_TEST_DATABASE_URL. In the pytest process itself the fixtures override the settings.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

HERE = Path(__file__).resolve().parent


def database_from_url(url: str) -> dict[str, Any]:
    """DATABASES["default"] for a postgresql://user:password@host:port/name URL."""
    parts = urlsplit(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }


SECRET_KEY = "tandem-tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
USE_TZ = True
TIME_ZONE = "UTC"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "channels",
    "tandem",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "testproject.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [HERE / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
# Fast hashing: the tests create users, and the sidecar only compares the session auth hash.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tests that need a database get a real PostgreSQL from the postgres_server fixture; this
# placeholder is never connected to unless a test asks for the database.
DATABASES = {
    "default": database_from_url(
        os.environ.get("TANDEM_TEST_DATABASE_URL", "postgresql://tandem@127.0.0.1:5432/tandem")
    )
}
# A second database on the same server, for the tests of `using=` and of database routers
# (tests/python/django/test_using.py); only tests that ask for it get it created.
DATABASES["chats"] = {**DATABASES["default"], "NAME": DATABASES["default"]["NAME"] + "_chats"}

ASGI_APPLICATION = "testproject.asgi.application"
# A socket_timeout above channels_redis's 5 s BZPOPMIN timeout: with redis-py 8.1 the default
# equals it, and a runworker's receive that waited about 5 s could lose the message Redis popped
# for it as the client gave up (the bridge's several-workers test lost a frame that way under
# load; docs/protocol.md, "The bridge").
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": os.environ.get("TANDEM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
                    "socket_timeout": 30,
                }
            ]
        },
    }
}
