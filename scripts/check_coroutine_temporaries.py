#!/usr/bin/env python3
"""Finds lambdas written inside a co_await expression in the given C++ sources.

GCC 12 destroys the captures of a lambda (or any aggregate) that is built inside a co_await
expression twice: a captured shared_ptr is released one time too many and what it owns is freed
while still in use (tests/cpp/asio/test_bounded_for_each.cpp). Name the lambda first, then pass
the variable. Aggregates cannot be told from classes with constructors without a compiler, so
this check covers lambdas, the shape the code base uses; docs/architecture.md states the rule.

Usage: check_coroutine_temporaries.py DIR...   (exit 1 and one line per finding if any)
"""

from __future__ import annotations

import pathlib
import re
import sys

AWAIT = re.compile(r"\bco_await\b")
LAMBDA = re.compile(r"\[[^\[\]]*\]\s*(\([^()]*\))?\s*(mutable\s*)?(->[^{;]*)?\{")


def statement_after(text: str, start: int) -> str:
    """The rest of the statement from `start`: up to the `;` at bracket depth 0."""
    depth = 0
    for i in range(start, len(text)):
        c = text[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth < 0:
                return text[start:i]
        elif c == ";" and depth == 0:
            return text[start:i]
    return text[start:]


def strip_comments_and_strings(text: str) -> str:
    """Blanks comments and string literals, keeping line numbers."""
    pattern = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.DOTALL)
    return pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def findings(root: pathlib.Path):
    for path in sorted(p for ext in ("*.cpp", "*.hpp") for p in root.rglob(ext)):
        text = strip_comments_and_strings(path.read_text(encoding="utf-8"))
        for m in AWAIT.finditer(text):
            stmt = statement_after(text, m.end())
            if LAMBDA.search(stmt):
                yield f"{path}:{text.count(chr(10), 0, m.start()) + 1}: lambda inside a co_await expression"


def main(argv: list[str]) -> int:
    found = [line for arg in argv[1:] for line in findings(pathlib.Path(arg))]
    for line in found:
        print(line)
    print(f"coroutine temporaries: {len(found)} lambda(s) inside co_await expressions")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
