#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target from tests/fixtures (one file per input), so the
fuzzers start from the inputs the unit tests already know: make_seeds.py OUT_DIR."""

from __future__ import annotations

import json
import sys
from pathlib import Path

fixtures = Path(__file__).resolve().parent.parent / "fixtures"


def load(name: str) -> dict:
    return json.loads((fixtures / name).read_text(encoding="utf-8"))


def client_frame_seeds() -> list[bytes]:
    seeds = []
    for case in load("core/frames.json")["send"]:
        frame = {"type": "send", "chat": case["chat"], "client_id": case["client_id"], "body": case["body"]}
        seeds.append(json.dumps(frame).encode())
    for frame in (
        {"type": "delivered", "chat": 1, "upto": 3},
        {"type": "read", "upto": 7},
        {"type": "sync", "chat": 2, "after": 0},
        {"type": "history", "chat": 2, "before": 10, "limit": 20},
        {"type": "typing", "chat": 2, "state": "start"},
        {"type": "ping", "ref": "r1"},
    ):
        seeds.append(json.dumps(frame).encode())
    return seeds


def layer_seeds(kind: str) -> list[bytes]:
    golden = load("layer/golden.json")
    # Large values are stored as length + hash only; the small ones are plenty to start from.
    return [bytes.fromhex(case[kind]["hex"]) for case in golden["codec"] if "hex" in case.get(kind, {})]


def serializer_seeds() -> list[bytes]:
    return [bytes.fromhex(case["stored"]["hex"]) for case in load("layer/golden.json")["serializer"]]


def resp_seeds() -> list[bytes]:
    # Replies Tandem reads from Redis: statuses, errors, integers, bulk strings, nil, and the
    # nested arrays of BZPOPMIN/EVALSHA; the first byte is where the harness splits the input.
    replies = [
        b"+OK\r\n", b"-NOSCRIPT No matching script\r\n", b":42\r\n", b"$5\r\nhello\r\n", b"$-1\r\n",
        b"*-1\r\n", b"*3\r\n$8\r\nasgi:foo\r\n$3\r\n\x82\xa1a\r\n$4\r\n17.5\r\n",
        b"*2\r\n*1\r\n:1\r\n*2\r\n+a\r\n$0\r\n\r\n",
    ]
    return [bytes([n]) + reply for n, reply in enumerate(replies)]


def cookie_seeds() -> list[bytes]:
    return [case["header"].encode() for case in load("auth/auth_cases.json")["cookies"]]


def signing_seeds() -> list[bytes]:
    seeds = []
    for case in load("auth/auth_cases.json")["signing"]:
        text = case["text"].encode()
        seeds.append(text)
        seeds.append(text.rsplit(b":", 1)[0])  # the harness signs this part itself
    return seeds


def main() -> None:
    out = Path(sys.argv[1])
    targets = {
        "client_frame": client_frame_seeds(),
        "msgpack_decode": layer_seeds("msgpack"),
        "json_decode": layer_seeds("json"),
        "serializer": serializer_seeds(),
        "resp_reader": resp_seeds(),
        "cookie_header": cookie_seeds(),
        "django_signing": signing_seeds(),
    }
    for target, seeds in targets.items():
        folder = out / target
        folder.mkdir(parents=True, exist_ok=True)
        for n, seed in enumerate(seeds):
            (folder / f"seed-{n:03d}").write_bytes(seed)
        if not seeds:
            raise SystemExit(f"make_seeds: no seeds for {target} (fixture keys renamed?)")


if __name__ == "__main__":
    main()
