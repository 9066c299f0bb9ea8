"""CHANNEL_LAYERS["default"] as the sidecar's layer_* keys and redis_hosts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.module_loading import import_string

from tandem.sidecar.errors import ConfigError
from tandem.sidecar.keys import ConfigValue
from tandem.sidecar.redis_hosts import redis_urls

REDIS_LAYER = "channels_redis.core.RedisChannelLayer"
# RedisChannelLayer's options the sidecar honours (docs/channel-layer.md).
HONOURED_OPTIONS = frozenset(
    {
        "hosts",
        "prefix",
        "expiry",
        "group_expiry",
        "capacity",
        "channel_capacity",
        "symmetric_encryption_keys",
        "serializer_format",
    }
)
# channels_redis's default, which the sidecar's channel names assume.
DEFAULT_RANDOM_PREFIX_LENGTH = 12


def _is_redis_layer(backend: str) -> bool:
    if backend == REDIS_LAYER:
        return True
    try:
        layer_class = import_string(backend)
    except ImportError:
        return False
    return isinstance(layer_class, type) and issubclass(layer_class, import_string(REDIS_LAYER))


def _text_key(key: str | bytes) -> str:
    # channels_redis encodes str keys as UTF-8 before deriving the Fernet key; bytes must be
    # that same text, or the environment could not carry them.
    if isinstance(key, bytes):
        try:
            return key.decode()
        except UnicodeDecodeError:
            raise ConfigError("symmetric_encryption_keys must be text (or UTF-8 bytes)") from None
    return str(key)


def capacity_entries(channel_capacity: Mapping[Any, int]) -> list[str]:
    """channel_capacity as "pattern=N": globs as written, compiled regexes as "re:<regex>"
    (docs/channel-layer.md). The sidecar splits at the last "=", so patterns may contain one."""
    entries = []
    for pattern, capacity in channel_capacity.items():
        text = f"re:{pattern.pattern}" if hasattr(pattern, "match") else str(pattern)
        entries.append(f"{text}={int(capacity)}")
    return entries


def layer_config(channel_layers: Mapping[str, Any]) -> dict[str, ConfigValue]:
    """The layer keys for CHANNEL_LAYERS, with channels_redis's defaults filled in."""
    layer = channel_layers.get("default")
    if layer is None:
        raise ConfigError("CHANNEL_LAYERS has no 'default' layer; the sidecar speaks to Django through it")
    backend = str(layer.get("BACKEND", ""))
    if not _is_redis_layer(backend):
        raise ConfigError(
            f"CHANNEL_LAYERS['default'] uses {backend or 'no BACKEND'}; the sidecar speaks the "
            f"protocol of {REDIS_LAYER} (the pub/sub and in-memory layers cannot reach it)"
        )
    config = layer.get("CONFIG") or {}
    unknown = sorted(set(config) - HONOURED_OPTIONS - {"random_prefix_length"})
    if unknown:
        raise ConfigError(
            f"CHANNEL_LAYERS['default']['CONFIG'] has option(s) the sidecar does not know: {', '.join(unknown)}"
        )
    if config.get("random_prefix_length", DEFAULT_RANDOM_PREFIX_LENGTH) != DEFAULT_RANDOM_PREFIX_LENGTH:
        raise ConfigError(
            f"random_prefix_length {config['random_prefix_length']!r} is not supported: the sidecar "
            f"splits channel names at channels_redis's default of {DEFAULT_RANDOM_PREFIX_LENGTH} "
            "characters, so any other value loses every message; remove the option"
        )
    keys = [_text_key(k) for k in config.get("symmetric_encryption_keys") or []]
    serializer = str(config.get("serializer_format", "msgpack"))
    if serializer not in {"msgpack", "json"}:
        raise ConfigError(f"serializer_format {serializer!r}: the sidecar reads msgpack or json")
    return {
        "redis_hosts": redis_urls(config.get("hosts")),
        "layer_prefix": str(config.get("prefix", "asgi")),
        "layer_expiry": int(config.get("expiry", 60)),
        "layer_group_expiry": int(config.get("group_expiry", 86400)),
        "layer_capacity": int(config.get("capacity", 100)),
        "layer_channel_capacity": capacity_entries(config.get("channel_capacity") or {}),
        "layer_symmetric_encryption_keys": keys,
        "layer_serializer_format": serializer,
    }
