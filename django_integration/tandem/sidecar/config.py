"""The sidecar's whole configuration from Django settings, plus the overrides in TANDEM."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tandem.sidecar.database import conninfo_from_django
from tandem.sidecar.errors import ConfigError
from tandem.sidecar.keys import COMMAND_KEYS, CONFIG_KEYS, ConfigValue
from tandem.sidecar.layer import layer_config
from tandem.sidecar.sessions import session_config


def check_value(key: str, value: Any) -> ConfigValue:
    """A TANDEM override as the sidecar can take it (scalars, or lists of text)."""
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, list):
        return [str(item) for item in value]
    if isinstance(value, str | int | float | bool):
        return value
    raise ConfigError(f"TANDEM[{key!r}] is a {type(value).__name__}; use text, a number, a boolean or a list")


def overrides(tandem: Mapping[str, Any]) -> dict[str, ConfigValue]:
    """settings.TANDEM minus the command's own keys; unknown keys are refused, as in the
    sidecar's TOML file, so a typo never silently falls back to a default."""
    unknown = sorted(set(tandem) - set(CONFIG_KEYS) - COMMAND_KEYS)
    if unknown:
        raise ConfigError(
            f"unknown key(s) in settings.TANDEM: {', '.join(unknown)} (see docs/configuration.md)"
        )
    return {key: check_value(key, value) for key, value in tandem.items() if key not in COMMAND_KEYS}


def sidecar_config(settings: Any) -> dict[str, ConfigValue]:
    """Every key Django settings determine, then settings.TANDEM on top, in the docs' order."""
    database = settings.DATABASES.get("default")
    if not database:
        raise ConfigError("DATABASES has no 'default' database; the sidecar needs PostgreSQL")
    derived: dict[str, ConfigValue] = {
        **layer_config(getattr(settings, "CHANNEL_LAYERS", {})),
        "database": conninfo_from_django(database),
        **session_config(settings),
        **overrides(getattr(settings, "TANDEM", {})),
    }
    return {key: derived[key] for key in CONFIG_KEYS if key in derived}
