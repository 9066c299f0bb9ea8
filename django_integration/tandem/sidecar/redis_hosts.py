"""CHANNEL_LAYERS hosts (every form channels_redis accepts) as the URLs the sidecar parses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from tandem.sidecar.errors import ConfigError

ACCEPTED_FORMS = (
    '"redis://[:password@]host:port/db", "rediss://host:port/db" (TLS), "unix:///path/to/redis.sock", '
    'a ("host", port) pair, a dict such as {"address": "redis://host:port"}, or a Sentinel dict '
    '{"sentinels": [("host", port), ...], "master_name": "name"}'
)
# redis-py's TLS keywords (SSLConnection), carried to the sidecar as rediss:// query parameters.
TLS_OPTIONS = ("ssl_ca_certs", "ssl_ca_path", "ssl_certfile", "ssl_keyfile", "ssl_cert_reqs", "ssl_check_hostname")
# Python's ssl.CERT_NONE/OPTIONAL/REQUIRED values, as redis-py also accepts them.
_CERT_REQS = {0: "none", 1: "optional", 2: "required"}
# Keys of a Sentinel entry's sentinel_kwargs the sidecar applies to its Sentinel connections.
SENTINEL_KWARGS = ("username", "password")
# channels_redis's answer to an empty `hosts`.
DEFAULT_HOSTS = ["redis://localhost:6379"]


def _from_url(url: str) -> dict[str, Any]:
    """Connection keywords of a URL, as redis-py's parse_url derives them."""
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss", "unix"}:
        raise ConfigError(
            f"CHANNEL_LAYERS hosts entry {url.rsplit('@', 1)[-1]!r} is not a form channels_redis accepts; use "
            f"{ACCEPTED_FORMS}"
        )
    found: dict[str, Any] = {
        k: v[0] for k, v in parse_qs(parts.query).items() if k in {"db", "password", "username", *TLS_OPTIONS}
    }
    if parts.scheme == "rediss":
        found["ssl"] = True
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


def _cert_reqs(value: Any) -> str:
    if value is None:
        return "none"  # redis-py: None means ssl.CERT_NONE
    if isinstance(value, int):  # ssl.VerifyMode is an int
        if value not in _CERT_REQS:
            raise ConfigError(f"ssl_cert_reqs {value!r} is not ssl.CERT_NONE, CERT_OPTIONAL or CERT_REQUIRED")
        return _CERT_REQS[value]
    text = str(value).lower()
    if text not in {"none", "optional", "required"}:
        raise ConfigError(f"ssl_cert_reqs must be 'required', 'optional' or 'none', not {value!r}")
    return text


def _tls_query(kwargs: Mapping[str, Any]) -> dict[str, str]:
    query = {}
    for key in TLS_OPTIONS:
        if key not in kwargs:
            continue
        value = kwargs[key]
        if key == "ssl_cert_reqs":
            query[key] = _cert_reqs(value)
        elif key == "ssl_check_hostname":
            query[key] = "true" if str(value).lower() not in {"0", "f", "false", "n", "no", "none"} else "false"
        elif value is not None:
            query[key] = str(value)
    return query


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
    tls = _tls_query(kwargs)
    if not kwargs.get("ssl"):
        if tls:
            raise ConfigError(
                f"{', '.join(sorted(tls))} need a rediss:// address (TLS); {host} is reached without TLS"
            )
        return f"redis://{credentials}{host}:{int(kwargs.get('port') or 6379)}/{db}"
    options = f"?{urlencode(tls, quote_via=quote)}" if tls else ""
    return f"rediss://{credentials}{host}:{int(kwargs.get('port') or 6379)}/{db}{options}"


def _sentinel_url(entry: Mapping[str, Any]) -> str:
    """channels_redis's Sentinel entry (a SentinelConnectionPool over `sentinels`) as the
    sidecar's sentinel:// URL: the Sentinels' addresses, the master's name, and the
    credentials of the master (top level) and of the Sentinels (sentinel_kwargs)."""
    sentinels = entry.get("sentinels") or []
    master = entry.get("master_name")
    if not master or not sentinels:
        raise ConfigError("a Sentinel hosts entry needs both 'sentinels' (a list of (host, port)) and 'master_name'")
    addresses = []
    for sentinel in sentinels:
        if not isinstance(sentinel, tuple | list) or len(sentinel) != 2:
            raise ConfigError(f"each Sentinel must be a (host, port) pair, not {sentinel!r}")
        host = str(sentinel[0])
        addresses.append(f"{f'[{host}]' if ':' in host else host}:{int(sentinel[1])}")
    sentinel_kwargs = dict(entry.get("sentinel_kwargs") or {})
    unknown = sorted(set(sentinel_kwargs) - set(SENTINEL_KWARGS))
    if unknown:
        raise ConfigError(
            f"sentinel_kwargs {', '.join(unknown)} are not supported by the sidecar (it uses {', '.join(SENTINEL_KWARGS)})"
        )
    master_kwargs = {k: entry[k] for k in ("db", "username", "password", "ssl", *TLS_OPTIONS) if k in entry}
    unknown = sorted(set(entry) - {"sentinels", "master_name", "sentinel_kwargs", *master_kwargs})
    if unknown:
        raise ConfigError(f"Sentinel entry option(s) {', '.join(unknown)} are not supported by the sidecar")
    # The master's own settings, written as a URL first to reuse its checks and quoting.
    master_url = urlsplit(_to_url({**master_kwargs, "host": "master"}))
    query = {"master_name": str(master), **dict(parse_qs(master_url.query, keep_blank_values=True))}
    query = {k: (v[0] if isinstance(v, list) else v) for k, v in query.items()}
    if master_kwargs.get("ssl"):
        query["ssl"] = "true"
    for key in SENTINEL_KWARGS:
        if sentinel_kwargs.get(key):
            query[f"sentinel_{key}"] = str(sentinel_kwargs[key])
    credentials = master_url.netloc.rpartition("@")[0]
    credentials = f"{credentials}@" if credentials else ""
    return f"sentinel://{credentials}{','.join(addresses)}{master_url.path}?{urlencode(query, quote_via=quote)}"


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
            return _sentinel_url(entry)
        kwargs = {
            k: entry[k] for k in ("host", "port", "db", "username", "password", "path", *TLS_OPTIONS) if k in entry
        }
        if "address" in entry:
            kwargs.pop("host", None)
            kwargs.pop("port", None)
            kwargs.update(_from_url(str(entry["address"])))
        elif "connection_class" in entry and "SSL" in getattr(entry["connection_class"], "__name__", ""):
            kwargs["ssl"] = True  # ConnectionPool(connection_class=SSLConnection, ...)
        return _to_url(kwargs)
    raise ConfigError(
        f"unsupported CHANNEL_LAYERS host entry of type {type(entry).__name__}; use {ACCEPTED_FORMS}"
    )


def redis_urls(hosts: Sequence[Any] | None) -> list[str]:
    """All shards, in order (the order is the shard ring, so it must not change)."""
    if isinstance(hosts, str | bytes):
        raise ConfigError("CHANNEL_LAYERS hosts must be a list, even with one host")
    return [redis_url(entry) for entry in hosts or DEFAULT_HOSTS]
