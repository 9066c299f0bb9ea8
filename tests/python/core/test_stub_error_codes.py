"""The typed stub's ErrorCode values are the ones the binding exports.

The codes were renumbered once (4000-5031 became 100-599) and the stub kept the old numbers,
so type checkers and IDEs showed wire codes the sidecar never sends. Parsing the stub rather
than importing it keeps it honest: a .pyi is never executed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import tandem_core as tc

STUB = Path(__file__).resolve().parents[3] / "pymodule" / "tandem_core" / "_core.pyi"


def stub_error_codes() -> dict[str, int]:
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    enum = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "ErrorCode")
    codes: dict[str, int] = {}
    for statement in enum.body:
        if isinstance(statement, ast.Assign):
            (target,) = statement.targets
            assert isinstance(target, ast.Name)
            codes[target.id] = ast.literal_eval(statement.value)
    return codes


def test_stub_lists_every_error_code_with_its_wire_number() -> None:
    assert stub_error_codes() == {code.name: int(code.value) for code in tc.ErrorCode}
