"""A tiny TOML writer for the flat configuration (the standard library only reads TOML)."""

from __future__ import annotations

import math

from tandem.sidecar.keys import ConfigValue

ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_string(text: str) -> str:
    out = []
    for c in text:
        if c in ESCAPES:
            out.append(ESCAPES[c])
        elif ord(c) < 0x20 or ord(c) == 0x7F:  # other control characters may not appear raw
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def toml_value(value: ConfigValue) -> str:
    if isinstance(value, bool):  # before int: bool is an int in Python
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("TOML has inf/nan, but the sidecar accepts only finite numbers")
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_string(str(item)) for item in value) + "]"
    return toml_string(value)


def dumps(config: dict[str, ConfigValue]) -> str:
    """One `key = value` line per key, in the mapping's order."""
    return "".join(f"{key} = {toml_value(value)}\n" for key, value in config.items())
