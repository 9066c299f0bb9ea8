"""Drives tests/tools/layer_peer.cpp (the C++ channel layer) from Python: one JSON request per
line on its stdin, replies and delivered messages on its stdout."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
from pathlib import Path
from typing import Any

import msgpack

ROOT = Path(__file__).resolve().parents[3]


def peer_binary() -> Path:
    build = Path(os.environ.get("TANDEM_BUILD_DIR", ROOT / "build" / "dev"))
    binary = build / "tests" / "tandem-layer-peer"
    if not binary.exists():
        raise RuntimeError(f"{binary} is missing: build the tests first (scripts/build.sh build/dev)")
    return binary


def pack(message: dict[str, Any]) -> str:
    return msgpack.packb(message).hex()


def unpack(hex_bytes: str) -> dict[str, Any]:
    return msgpack.unpackb(bytes.fromhex(hex_bytes))


class LayerPeer:
    def __init__(
        self, hosts: list[str], *args: str, log: Path | None = None, wait_ready: bool = True
    ) -> None:
        command = [str(peer_binary())]
        for host in hosts:
            command += ["--host", host]
        command += list(args)
        self.stderr_path = log
        self._log = log.open("ab") if log else None
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log if self._log else subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        self._replies: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._next_id = 0
        self.messages: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if wait_ready:
            assert self.request("wait_ready", timeout_s=10)["ready"], "the C++ layer did not connect to Redis"

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            data = json.loads(line)
            if data.get("event") == "message":
                self.messages.put((data["channel"], unpack(data["message_hex"])))
            else:
                with self._lock:
                    box = self._replies.get(data.get("id", 0))
                if box is not None:
                    box.put(data)

    def request(self, op: str, timeout: float = 60, **fields: Any) -> dict[str, Any]:
        with self._lock:
            self._next_id += 1
            request_id = self._next_id
            box: queue.Queue[dict[str, Any]] = queue.Queue()
            self._replies[request_id] = box
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"id": request_id, "op": op, **fields}) + "\n")
        self.process.stdin.flush()
        reply = box.get(timeout=timeout)
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply

    def new_channel(self) -> str:
        return self.request("new_channel")["channel"]

    def send(self, channel: str, message: dict[str, Any]) -> str:
        return self.request("send", channel=channel, message_hex=pack(message))["status"]

    def group_add(self, group: str, channel: str) -> str:
        return self.request("group_add", group=group, channel=channel)["status"]

    def group_discard(self, group: str, channel: str) -> str:
        return self.request("group_discard", group=group, channel=channel)["status"]

    def group_send(self, group: str, message: dict[str, Any]) -> dict[str, Any]:
        return self.request("group_send", group=group, message_hex=pack(message))

    def stats(self) -> dict[str, Any]:
        return self.request("stats")

    def receive(self, timeout: float = 5) -> tuple[str, dict[str, Any]]:
        return self.messages.get(timeout=timeout)

    def nothing_received(self, wait: float = 0.5) -> bool:
        try:
            self.messages.get(timeout=wait)
        except queue.Empty:
            return True
        return False

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        if self._log is not None:
            self._log.close()
