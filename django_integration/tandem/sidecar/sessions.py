"""Django's session, user and Origin settings as the sidecar's keys."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models

from tandem.models import ChatMember
from tandem.sidecar.errors import ConfigError
from tandem.sidecar.keys import ConfigValue

ENGINES = {
    "django.contrib.sessions.backends.db": "db",
    "django.contrib.sessions.backends.cached_db": "cached_db",
    "django.contrib.sessions.backends.signed_cookies": "signed_cookies",
}
JSON_SERIALIZER = "django.contrib.sessions.serializers.JSONSerializer"


def session_engine(engine: str) -> str:
    """The sidecar's name for SESSION_ENGINE, or a ConfigError saying what to use instead."""
    try:
        return ENGINES[engine]
    except KeyError:
        raise ConfigError(
            f"SESSION_ENGINE {engine!r} is not supported: the sidecar reads sessions from the database "
            "or verifies signed cookies, so use django.contrib.sessions.backends.db, "
            "django.contrib.sessions.backends.cached_db or django.contrib.sessions.backends.signed_cookies"
        ) from None


def session_table(engine: str) -> str:
    """The table of the engine's session model (a database engine's SessionStore names it)."""
    return import_module(engine).SessionStore.get_model_class()._meta.db_table


def user_table() -> str:
    """AUTH_USER_MODEL's table, after checking it has the columns the sidecar reads."""
    meta = get_user_model()._meta
    columns = {field.column for field in meta.concrete_fields}
    missing = [c for c in ("password", "is_active") if c not in columns]
    if not isinstance(meta.pk, models.IntegerField):  # AutoField and BigAutoField are IntegerFields
        raise ConfigError(
            f"AUTH_USER_MODEL {meta.label} has a {type(meta.pk).__name__} primary key; the sidecar "
            "and Tandem's tables key users by a 64-bit integer id"
        )
    if meta.pk.column != "id" or missing:
        raise ConfigError(
            f"AUTH_USER_MODEL {meta.label} must have the columns id, password and is_active "
            f"for the sidecar (primary key column: {meta.pk.column}; missing: {', '.join(missing) or 'none'})"
        )
    return meta.db_table


def session_config(settings: Any) -> dict[str, ConfigValue]:
    """The keys that decide who may open a socket."""
    if not settings.SECRET_KEY:
        raise ConfigError("SECRET_KEY is empty; the sidecar needs it to verify sessions")
    if settings.SESSION_SERIALIZER != JSON_SERIALIZER:
        raise ConfigError(
            f"SESSION_SERIALIZER must be {JSON_SERIALIZER}: the sidecar decodes sessions as JSON"
        )
    engine = settings.SESSION_ENGINE
    config: dict[str, ConfigValue] = {
        "secret_key": str(settings.SECRET_KEY),
        "secret_key_fallbacks": [str(key) for key in settings.SECRET_KEY_FALLBACKS],
        "session_engine": session_engine(engine),
        "session_cookie_name": str(settings.SESSION_COOKIE_NAME),
        "session_cookie_age": int(settings.SESSION_COOKIE_AGE),
    }
    if config["session_engine"] != "signed_cookies":  # signed cookies have no table
        config["session_table"] = session_table(engine)
    config["authentication_backends"] = [str(backend) for backend in settings.AUTHENTICATION_BACKENDS]
    config["user_table"] = user_table()
    config["chat_member_table"] = ChatMember._meta.db_table
    config["debug"] = bool(settings.DEBUG)
    config["allowed_hosts"] = [str(host) for host in settings.ALLOWED_HOSTS]
    config["csrf_trusted_origins"] = [str(origin) for origin in settings.CSRF_TRUSTED_ORIGINS]
    return config
