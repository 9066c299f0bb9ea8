"""The JSON case files in tests/fixtures, which the C++ tests read too: one set of expected
answers that both languages are held to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def load_fixture(relative_path: str) -> Any:
    """The parsed JSON of tests/fixtures/<relative_path>."""
    return json.loads((FIXTURES / relative_path).read_text(encoding="utf-8"))


def cases(relative_path: str, key: str = "cases") -> list[Any]:
    """The list under `key` in a fixture file, for pytest.mark.parametrize."""
    return load_fixture(relative_path)[key]


def case_id(case: dict[str, Any]) -> str:
    return str(case.get("name", case))
