"""Shared pieces of the browser tests: where things are, and page steps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "tests" / "artifacts"
HISTORY = 80  # seeded messages in the 1:1 chat: 50 on open, then pages of 20


def open_chat(page: Any, title: str) -> None:
    """From the chat list, opens the chat with this title and waits for it to be connected."""
    page.click(f"a.chat-row:has-text('{title}')")
    page.wait_for_selector(".tandem-status[data-state=connected]", state="attached")
    page.wait_for_function("window.tandemChat && window.tandemChat.historyLoaded")


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
