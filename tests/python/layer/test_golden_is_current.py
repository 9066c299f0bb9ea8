"""tests/fixtures/layer/golden.json is what today's msgpack, json, cryptography, Channels and
channels_redis produce, so the C++ layer codecs that read it are held to the real implementations."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "layer"


def test_the_committed_golden_file_matches_the_python_libraries() -> None:
    spec = importlib.util.spec_from_file_location("make_golden", FIXTURES / "make_golden.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = json.loads((FIXTURES / "golden.json").read_text(encoding="utf-8"))
    assert module.cases() == committed
