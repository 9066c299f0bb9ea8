"""Where the deployment files and the sources they must agree with live."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
CONFIGURATION_DOC = ROOT / "docs" / "configuration.md"


def documented_default(key: str) -> str:
    """The default column of `key` in docs/configuration.md, without backquotes."""
    match = re.search(
        rf"^\| `{re.escape(key)}` \| `?([^`|]*)`? \|", CONFIGURATION_DOC.read_text(), re.MULTILINE
    )
    assert match, f"docs/configuration.md documents no {key}"
    return match.group(1).strip()
