"""The configuration as it may be printed: secrets and passwords replaced by a mask."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from tandem.sidecar.database import build_conninfo, parse_conninfo
from tandem.sidecar.keys import KEYS_WITH_PASSWORDS, SECRET_KEYS, ConfigValue

MASK = "********"
# libpq's and Redis URLs' fields that hold a password (sslpassword unlocks the client key).
PASSWORD_FIELDS = frozenset({"password", "sslpassword"})


def _is_password_key(key: str) -> bool:
    """A URL query key naming a password (password, sslpassword, sentinel_password...), in any
    case: masked rather than guessed at, as the sidecar's --print-config does."""
    return "password" in key.lower()


def mask_url(url: str) -> str:
    """A URL with the password of its user part and of a `password=` query field masked."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        credentials, host = netloc.rsplit("@", 1)
        user, has_password, _ = credentials.partition(":")
        if has_password:
            netloc = f"{user}:{MASK}@{host}"
        elif parts.scheme.startswith(("redis", "unix")):  # the sidecar reads a lone "secret@" as a password
            netloc = f"{MASK}@{host}"
    query = parts.query
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(_is_password_key(k) for k, _ in pairs):  # else keep the query exactly as written
        query = urlencode([(k, MASK if _is_password_key(k) else v) for k, v in pairs], safe="*")
    # Not urlunsplit: it drops the empty host of unix:///path.
    return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")


def mask_conninfo(conninfo: str) -> str:
    """A libpq string (keyword=value pairs or a postgresql:// URL) with its password masked."""
    if "://" in conninfo:
        return mask_url(conninfo)
    return build_conninfo({k: MASK if k in PASSWORD_FIELDS else v for k, v in parse_conninfo(conninfo)})


def _mask(key: str, value: ConfigValue) -> ConfigValue:
    if key in SECRET_KEYS:
        if isinstance(value, list):
            return [MASK for _ in value]
        return MASK if value else value
    if key == "database" and isinstance(value, str):
        return mask_conninfo(value)
    if key in KEYS_WITH_PASSWORDS and isinstance(value, list):
        return [mask_url(url) for url in value]
    return value


def masked(config: dict[str, ConfigValue]) -> dict[str, ConfigValue]:
    return {key: _mask(key, value) for key, value in config.items()}
