"""Starting the sidecar: find the binary, put the configuration into TANDEM_* variables, exec."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from tandem.sidecar.errors import ConfigError
from tandem.sidecar.keys import ConfigValue

BINARY = "tandem-sidecar"


def env_value(value: ConfigValue) -> str:
    """A value as the sidecar reads TANDEM_* variables: lists always as JSON arrays, since a
    comma could be part of an entry (a capacity pattern, an Origin)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return json.dumps(value)
    return str(value)


# What the sidecar may inherit from Django's environment: how to find programs and libraries,
# the locale and time zone, libpq's own PG* variables (a service file, a password file, TLS
# paths) and the operator's TANDEM_* overrides. Nothing else: Django's environment holds the
# site's secrets (API keys, cloud credentials) that the sidecar has no use for.
INHERITED = frozenset(
    {
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "LANG",
        "TZ",
        "TMPDIR",
        "LD_LIBRARY_PATH",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
    }
)
INHERITED_PREFIXES = ("LC_", "PG", "TANDEM_")


def inherited(base: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in base.items() if k in INHERITED or k.startswith(INHERITED_PREFIXES)}


def sidecar_environment(config: Mapping[str, ConfigValue], base: Mapping[str, str]) -> dict[str, str]:
    """The inherited part of `base` plus TANDEM_<KEY> for every key; derived values win over
    inherited ones."""
    return {**inherited(base), **{f"TANDEM_{key.upper()}": env_value(value) for key, value in config.items()}}


def find_sidecar(explicit: str | None, configured: str | None) -> str:
    """--sidecar, else settings.TANDEM["sidecar"], else next to this Python (a venv's bin/,
    where `pip install` put it), else on PATH."""
    for candidate in (explicit, configured):
        if candidate:
            return candidate
    beside = Path(sys.executable).parent / BINARY
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(BINARY)
    if found is None:
        raise ConfigError(f"{BINARY} was not found next to {sys.executable} or on PATH; pass --sidecar PATH")
    return found


def exec_sidecar(binary: str, extra_args: Sequence[str], environment: Mapping[str, str]) -> None:
    """Replaces this process with the sidecar; secrets travel in the environment, not argv."""
    os.execvpe(binary, [binary, *extra_args], dict(environment))
