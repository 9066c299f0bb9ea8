"""DATABASES["default"] as the libpq connection string the sidecar opens, built as Django's
PostgreSQL backend builds its connection parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tandem.sidecar.errors import ConfigError

# OPTIONS entries that Django or psycopg consume themselves; libpq would reject them.
NOT_LIBPQ = frozenset(
    {
        "assume_role",
        "isolation_level",
        "pool",
        "server_side_binding",
        "cursor_factory",
        "context",
        "prepare_threshold",
    }
)
# Shown first, in this order, so the string reads as people write it.
FIRST = ("host", "port", "dbname", "user", "password")


def quote_value(value: str) -> str:
    """A value as libpq reads it: bare when it can be, else single-quoted with \\ escapes."""
    if value and not any(c.isspace() or c in "'\\" for c in value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def build_conninfo(params: Mapping[str, str]) -> str:
    ordered = [k for k in FIRST if k in params] + [k for k in params if k not in FIRST]
    return " ".join(f"{key}={quote_value(params[key])}" for key in ordered)


def parse_conninfo(text: str) -> list[tuple[str, str]]:
    """keyword=value pairs as libpq's conninfo_parse reads them (quotes, backslash escapes)."""
    pairs: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            return pairs
        start = i
        while i < n and not text[i].isspace() and text[i] != "=":
            i += 1
        key = text[start:i]
        while i < n and text[i].isspace():
            i += 1
        if i >= n or text[i] != "=":
            raise ConfigError(f'missing "=" after {key!r} in the connection string')
        i += 1
        while i < n and text[i].isspace():
            i += 1
        quoted = i < n and text[i] == "'"
        i += quoted
        value: list[str] = []
        while i < n and (text[i] != "'" if quoted else not text[i].isspace()):
            if text[i] == "\\" and i + 1 < n:
                i += 1
            value.append(text[i])
            i += 1
        if quoted:
            if i >= n:
                raise ConfigError("unterminated quoted value in the connection string")
            i += 1
        pairs.append((key, "".join(value)))


def _option(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"  # libpq's booleans (keepalives, gssdelegation, ...)
    if isinstance(value, str | int | float):
        return str(value)
    raise ConfigError(
        f"DATABASES['default']['OPTIONS'][{key!r}] is a {type(value).__name__}, not a libpq value"
    )


def conninfo_from_django(db: Mapping[str, Any]) -> str:
    """The libpq string for a DATABASES entry; refuses engines other than PostgreSQL."""
    engine = str(db.get("ENGINE", ""))
    if engine.rsplit(".", 1)[-1] not in {"postgresql", "postgis"}:
        raise ConfigError(
            f"DATABASES['default'] uses {engine or 'no ENGINE'}; the sidecar reads sessions and chat "
            "members with libpq, so it needs PostgreSQL (django.db.backends.postgresql)"
        )
    options = dict(db.get("OPTIONS") or {})
    name = db.get("NAME")
    # The same rules as django.db.backends.postgresql's get_connection_params().
    if name == "" and not options.get("service"):
        raise ConfigError("DATABASES['default'] needs a NAME or OPTIONS['service']")
    params: dict[str, str] = {}
    if name:
        params["dbname"] = str(name)
    elif name is None:
        options.pop("service", None)
        params["dbname"] = "postgres"
    params.update({k: _option(k, v) for k, v in options.items() if k not in NOT_LIBPQ})
    for setting, keyword in (("USER", "user"), ("PASSWORD", "password"), ("HOST", "host"), ("PORT", "port")):
        if db.get(setting):
            params[keyword] = str(db[setting])
    params["client_encoding"] = "UTF8"
    return build_conninfo(params)
