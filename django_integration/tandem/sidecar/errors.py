"""The one error type of configuration derivation, turned into a CommandError by the command."""

from __future__ import annotations


class ConfigError(ValueError):
    """Django settings the sidecar cannot be configured from; the message says how to fix it."""
