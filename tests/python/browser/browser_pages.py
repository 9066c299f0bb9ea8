"""Shared pieces of the browser tests: where things are, and page steps."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "tests" / "artifacts"
HISTORY = 80  # seeded messages in the 1:1 chat: 50 on open, then pages of 20


def open_chat(page: Any, title: str) -> None:
    """From the chat list, opens the chat with this title and waits for it to be connected."""
    row_title = page.locator(".chat-title", has_text=re.compile(f"^{re.escape(title)}$", re.IGNORECASE))
    page.locator("a.chat-row").filter(has=row_title).click()
    wait_open(page)
    page.wait_for_function("window.tandemChat && window.tandemChat.historyLoaded")


def wait_open(page: Any, timeout: float = 30_000) -> None:
    """The tab's one socket has said hello."""
    page.wait_for_function("window.tandemClient && window.tandemClient.state === 'open'", timeout=timeout)


def outbox_bodies(page: Any) -> list[str]:
    """What the tab's outbox (IndexedDB) holds."""
    return page.evaluate("window.tandemClient.outbox.all().then((all) => all.map((e) => e.body))")


def send(page: Any, text: str) -> None:
    page.fill(".tandem-input", text)
    page.press(".tandem-input", "Enter")


def bubble(page: Any, text: str) -> Any:
    return page.locator(".tandem-message", has_text=text)


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


# An init script: desktop notifications granted, and recorded in window.notified.
RECORD_NOTIFICATIONS = """
window.notified = [];
window.Notification = class {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options) { window.notified.push({title, body: options.body}); }
  close() {}
};
"""
