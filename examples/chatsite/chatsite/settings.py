"""The example chat site: an ordinary Django project using the tandem app. Where PostgreSQL,
Redis and the sidecar are comes from the environment (examples/run.py sets it)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

HERE = Path(__file__).resolve().parent


def database_from_url(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }


SECRET_KEY = os.environ.get("CHATSITE_SECRET_KEY", "example-only-not-secret")
DEBUG = os.environ.get("CHATSITE_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "tandem",
    "chatsite",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "chatsite.csp.ContentSecurityPolicyMiddleware",
]
ROOT_URLCONF = "chatsite.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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
DATABASES = {
    "default": database_from_url(
        os.environ.get("CHATSITE_DATABASE_URL", "postgresql://tandem@127.0.0.1:5432/chatsite")
    )
}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [os.environ.get("CHATSITE_REDIS_URL", "redis://127.0.0.1:6379/0")]},
    }
}
STATIC_URL = "/static/"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The sidecar, configured from these settings by `manage.py tandem`; numbers as strings from
# the environment let the browser tests shorten presence intervals.
TANDEM: dict[str, object] = {
    "public_url": os.environ.get("CHATSITE_SIDECAR_URL", "ws://127.0.0.1:8765"),
    "listen": os.environ.get("CHATSITE_SIDECAR_LISTEN", "127.0.0.1:8765"),
    "threads": int(os.environ.get("CHATSITE_SIDECAR_THREADS", "2")),
}
for key in (
    "presence_grace",
    "presence_heartbeat",
    "presence_lease_ttl",
    "ping_interval",
    "auth_recheck_interval",
):
    if f"CHATSITE_{key.upper()}" in os.environ:
        TANDEM[key] = float(os.environ[f"CHATSITE_{key.upper()}"])
if "CHATSITE_SIDECAR" in os.environ:
    TANDEM["sidecar"] = os.environ["CHATSITE_SIDECAR"]

# The browser client's timings (docs/configuration.md, "Browser client"); the browser tests
# shorten the dead-link grace through the environment.
TANDEM_CLIENT: dict[str, int] = {}
if "CHATSITE_CLIENT_GRACE_MS" in os.environ:
    TANDEM_CLIENT["graceMs"] = int(os.environ["CHATSITE_CLIENT_GRACE_MS"])

# Hashed file names in production (collectstatic), with the ES module imports of the client
# rewritten to the hashed names too.
STATIC_ROOT = os.environ.get("CHATSITE_STATIC_ROOT", str(HERE.parent / "static-collected"))
if os.environ.get("CHATSITE_MANIFEST_STATIC") == "1":
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "chatsite.static_storage.ModuleManifestStaticFilesStorage"},
    }
