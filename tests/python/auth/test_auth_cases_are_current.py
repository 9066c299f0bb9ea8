"""tests/fixtures/auth/auth_cases.json is what today's Channels and Django decide, so the C++
tests that read it are held to the real implementations."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "auth"


def test_the_committed_table_matches_channels_and_django() -> None:
    spec = importlib.util.spec_from_file_location("make_auth_cases", FIXTURES / "make_auth_cases.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = json.loads((FIXTURES / "auth_cases.json").read_text(encoding="utf-8"))
    assert module.cases() == committed
