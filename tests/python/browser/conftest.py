"""The example site's whole stack (PostgreSQL, Redis, Django, the sidecar) and Debian's
Chromium driven by Playwright, for the browser tests. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from browser_pages import HISTORY, ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
sys.path.insert(0, str(ROOT / "examples"))

# Short presence intervals: a closed browser shows as offline in about a second.
FAST_PRESENCE = {
    "CHATSITE_PRESENCE_GRACE": "0.5",
    "CHATSITE_PRESENCE_HEARTBEAT": "0.5",
    "CHATSITE_PRESENCE_LEASE_TTL": "2",
}


@pytest.fixture(scope="module")
def stack_env() -> dict[str, str]:
    """The example stack's environment; a test module overrides this fixture to change it."""
    return FAST_PRESENCE


@pytest.fixture(scope="module")
def stack(stack_env: dict[str, str]) -> Iterator[Any]:
    from example_stack import ExampleStack

    running = ExampleStack(env=stack_env)
    try:
        running.start(seed_history=HISTORY)
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def logged_in(browser: Any, stack: Any) -> Iterator[Callable[..., Any]]:
    """logged_in("ann") → a page of a fresh browser context, logged in, on the chat list."""
    contexts: list[Any] = []

    def login(
        name: str, *, color_scheme: str = "light", width: int = 900, height: int = 720, csp: bool = False
    ) -> Any:
        # The example sends a strict CSP; Playwright's wait_for_function evaluates strings, which
        # that CSP forbids, so only the tests that check the CSP itself (csp=True) enforce it.
        context = browser.new_context(
            color_scheme=color_scheme, viewport={"width": width, "height": height}, bypass_csp=not csp
        )
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{stack.url}/accounts/login/")
        page.fill("input[name=username]", name)
        page.fill("input[name=password]", f"{name}-pass")
        page.click("button[type=submit]")
        page.wait_for_url(f"{stack.url}/")
        return page

    yield login
    for context in contexts:
        context.close()
