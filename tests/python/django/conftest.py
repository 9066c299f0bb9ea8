"""Fixtures of the Django-side tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """What Django publishes on the channel layer during the test, (group, event) in order."""
    from tandem import publishing

    published: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(publishing, "_layer_send", lambda group, event: published.append((group, event)))
    return published
