"""CHANNEL_LAYERS hosts (every form channels_redis accepts) as the URLs the sidecar parses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from tandem.sidecar.errors import ConfigError

ACCEPTED_FORMS = (
    '"redis://[:password@]host:port/db", "unix:///path/to/redis.sock", a ("host", port) pair, '
    'or a dict such as {"address": "redis://host:port"}'
)
# channels_redis's answer to an empty `hosts`.
DEFAULT_HOSTS = ["redis://localhost:6379"]


def _from_url(url: str) -> dict[str, Any]:
    """Connection keywords of a URL, as redis-py's parse_url derives them."""
    parts = urlsplit(url)
    if parts.scheme == "rediss":
        raise ConfigError(
            f"{_describe(url)}: rediss:// (TLS) is not supported by the sidecar; use a local stunnel"
        )
    if parts.scheme not in {"redis", "unix"}:
        raise ConfigError(
            f"CHANNEL_LAYERS hosts entry {url.rsplit('@', 1)[-1]!r} is not a form channels_redis accepts; use "
            f"{ACCEPTED_FORMS}"
        )
    found: dict[str, Any] = {
        k: v[0] for k, v in parse_qs(parts.query).items() if k in {"db", "password", "username"}
    }
    if parts.username:
        found["username"] = unquote(parts.username)
    if parts.password:
        found["password"] = unquote(parts.password)
    if parts.scheme == "unix":
        found["path"] = unquote(parts.path)
        return found
    if parts.hostname:
        found["host"] = unquote(parts.hostname)
    if parts.port:
        found["port"] = parts.port
    if parts.path.strip("/") and "db" not in found:
        found["db"] = unquote(parts.path).replace("/", "")
    return found


def _describe(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{parts.path}"


def _to_url(kwargs: Mapping[str, Any]) -> str:
    try:
        db = int(kwargs.get("db") or 0)
    except ValueError:
        raise ConfigError(f"Redis db must be a number, not {kwargs['db']!r}") from None
    username, password = str(kwargs.get("username") or ""), str(kwargs.get("password") or "")
    if "path" in kwargs:
        query = {
            "db": db,
            **({"username": username} if username else {}),
            **({"password": password} if password else {}),
        }
        return f"unix://{kwargs['path']}?{urlencode(query, quote_via=quote)}"
    host = str(kwargs.get("host") or "localhost")
    if ":" in host:
        host = f"[{host}]"  # IPv6
    credentials = f"{quote(username, safe='')}:{quote(password, safe='')}@" if password or username else ""
    return f"redis://{credentials}{host}:{int(kwargs.get('port') or 6379)}/{db}"


def redis_url(entry: Any) -> str:
    """One `hosts` entry: a URL, a (host, port) pair, or a dict of connection keywords (with an
    `address` URL whose own values win over the other keys, as in redis-py's from_url)."""
    if isinstance(entry, bytes):
        entry = entry.decode()
    if isinstance(entry, str):
        return _to_url(_from_url(entry))
    if isinstance(entry, tuple | list):
        return _to_url({"host": entry[0], "port": entry[1]})
    if isinstance(entry, Mapping):
        if "master_name" in entry or "sentinels" in entry:
            raise ConfigError(
                "Redis Sentinel hosts are not supported by the sidecar; list the master's URL instead"
            )
        kwargs = {k: entry[k] for k in ("host", "port", "db", "username", "password", "path") if k in entry}
        if "address" in entry:
            kwargs.pop("host", None)
            kwargs.pop("port", None)
            kwargs.update(_from_url(str(entry["address"])))
        return _to_url(kwargs)
    raise ConfigError(
        f"unsupported CHANNEL_LAYERS host entry of type {type(entry).__name__}; use {ACCEPTED_FORMS}"
    )


def redis_urls(hosts: Sequence[Any] | None) -> list[str]:
    """All shards, in order (the order is the shard ring, so it must not change)."""
    if isinstance(hosts, str | bytes):
        raise ConfigError("CHANNEL_LAYERS hosts must be a list, even with one host")
    return [redis_url(entry) for entry in hosts or DEFAULT_HOSTS]
