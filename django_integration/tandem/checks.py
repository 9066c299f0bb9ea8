"""Django system checks for everything the sidecar needs from the site's settings, so
`manage.py check`, `runserver` and `migrate` report a misconfiguration before a socket fails.
Each check reuses the rule `manage.py tandem` applies when it builds the sidecar's configuration,
so the two can never disagree; the ids are documented in docs/django.md."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.checks import Warning as CheckWarning
from django.db import DatabaseError, connections

from tandem.sidecar.config import overrides
from tandem.sidecar.database import conninfo_from_django
from tandem.sidecar.errors import ConfigError
from tandem.sidecar.layer import layer_config
from tandem.sidecar.sessions import JSON_SERIALIZER, session_engine, user_table

# The version of the SQL contract (tandem_schema_version()) this code calls.
SCHEMA_VERSION = 2
REQUEST_PROCESSOR = "django.template.context_processors.request"


def _refusal(check_id: str, rule: Callable[[], Any], hint: str | None = None) -> list[CheckMessage]:
    try:
        rule()
    except ConfigError as error:
        return [Error(str(error), hint=hint, id=check_id)]
    return []


@register("tandem")
def check_database_engine(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    database = settings.DATABASES.get("default") or {}
    return _refusal("tandem.E001", lambda: conninfo_from_django(database))


@register("tandem")
def check_isolation_level(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """Tandem's SQL functions need READ COMMITTED (PostgreSQL's default); they refuse to run
    under anything stricter, so a stricter level on the database holding Tandem's tables (the
    alias the routers give it, tandem.messaging.database_for_tandem) would fail every send."""
    from tandem.messaging import database_for_tandem

    alias = database_for_tandem(None)
    options = (settings.DATABASES.get(alias) or {}).get("OPTIONS") or {}
    level = options.get("isolation_level")
    # psycopg's IsolationLevel: READ_UNCOMMITTED 4 and READ_COMMITTED 1 both run as READ COMMITTED.
    if level is None or int(level) in (1, 4):
        return []
    return [
        Error(
            f"DATABASES[{alias!r}]['OPTIONS']['isolation_level'] is {level!r}; Tandem's messaging "
            "functions need READ COMMITTED and refuse to run under a stricter level",
            hint="remove isolation_level, or route Tandem's tables to a READ COMMITTED alias (using=)",
            id="tandem.E010",
        )
    ]


@register("tandem")
def check_channel_layer(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    return _refusal("tandem.E002", lambda: layer_config(getattr(settings, "CHANNEL_LAYERS", {})))


@register("tandem")
def check_session_engine(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    return _refusal("tandem.E003", lambda: session_engine(settings.SESSION_ENGINE))


@register("tandem")
def check_session_serializer(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.SESSION_SERIALIZER == JSON_SERIALIZER:
        return []
    return [
        Error(
            f"SESSION_SERIALIZER is {settings.SESSION_SERIALIZER}; the sidecar decodes sessions as JSON",
            hint=f"SESSION_SERIALIZER = {JSON_SERIALIZER!r}",
            id="tandem.E004",
        )
    ]


@register("tandem")
def check_user_model(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    return _refusal("tandem.E005", user_table)


@register("tandem")
def check_tandem_keys(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    return _refusal("tandem.E006", lambda: overrides(getattr(settings, "TANDEM", {}) or {}))


@register(Tags.templates, "tandem")
def check_request_context_processor(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    engines: list[dict[str, Any]] = list(settings.TEMPLATES)
    django_engines = [
        engine for engine in engines if str(engine.get("BACKEND", "")).endswith("DjangoTemplates")
    ]
    if any(
        REQUEST_PROCESSOR in engine.get("OPTIONS", {}).get("context_processors", [])
        for engine in django_engines
    ):
        return []
    return [
        Error(
            "{% tandem_client_config %} reads the request, but no DjangoTemplates engine has the "
            "request context processor",
            hint=f"add {REQUEST_PROCESSOR!r} to TEMPLATES[...]['OPTIONS']['context_processors']",
            id="tandem.E007",
        )
    ]


@register("tandem")
def check_channels_installed(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    if apps.is_installed("channels"):
        return []
    return [
        Error(
            "'channels' is not in INSTALLED_APPS; Tandem's bridge consumers and channel layer need it",
            hint="add 'channels' to INSTALLED_APPS",
            id="tandem.E008",
        )
    ]


def _schema_version(alias: str) -> int:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT to_regproc('tandem_schema_version') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute("SELECT tandem_schema_version()")
        return int(cursor.fetchone()[0])


@register(Tags.database, "tandem")
def check_schema_version(
    app_configs: Sequence[Any] | None = None, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Runs with `check --database default` and before `migrate`: the SQL functions in the
    database are the version this code calls. An older database is a warning (migrate is about
    to fix it, and an error would stop migrate); a newer one is an error (this code is older
    than the database it talks to)."""
    messages: list[CheckMessage] = []
    for alias in databases or ():
        try:
            found = _schema_version(alias)
        except DatabaseError as error:
            messages.append(Error(f"database {alias!r}: {error}".strip(), id="tandem.E009"))
            continue
        if found < SCHEMA_VERSION:
            messages.append(
                CheckWarning(
                    f"database {alias!r} has Tandem's SQL contract version {found or 'none'}; "
                    f"this code calls version {SCHEMA_VERSION}",
                    hint="run manage.py migrate tandem",
                    id="tandem.W009",
                )
            )
        elif found > SCHEMA_VERSION:
            messages.append(
                Error(
                    f"database {alias!r} has Tandem's SQL contract version {found}, newer than the "
                    f"version {SCHEMA_VERSION} this code calls",
                    hint="upgrade django-tandem on this host",
                    id="tandem.E009",
                )
            )
    return messages
