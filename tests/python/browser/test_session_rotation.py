"""A 4401 is not always a logout: when Django gives the session a new key (a password change,
a login again), the tab's socket, opened with the old cookie, is closed at its re-check while
the browser already holds the new one. The client asks Django over HTTP and, still signed in,
reconnects quietly instead of telling the user their session ended. The stack re-checks sockets
every second here."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_pages import wait_open
from conftest import FAST_PRESENCE


@pytest.fixture(scope="module")
def stack_env() -> dict[str, str]:
    return {**FAST_PRESENCE, "CHATSITE_AUTH_RECHECK_INTERVAL": "1"}


def test_a_session_given_a_new_key_reconnects_without_saying_it_ended(
    logged_in, stack, tmp_path: Path
) -> None:
    ann = logged_in("ann")
    wait_open(ann)
    old = next(c["value"] for c in ann.context.cookies() if c["name"] == "sessionid")
    new_key = tmp_path / "key"
    # What update_session_auth_hash() does after a password change (cycle_key): the session's
    # data under a new key, which the browser gets; then the old key is gone. In two steps here,
    # so the browser holds the new cookie before the old one stops working.
    stack.manage(
        "shell",
        "-c",
        "from django.contrib.sessions.backends.db import SessionStore; "
        f"data = SessionStore({old!r}).load(); s = SessionStore(); s.update(data); s.create(); "
        f"open({str(new_key)!r}, 'w').write(s.session_key)",
    )
    ann.context.add_cookies([{"name": "sessionid", "value": new_key.read_text(), "url": stack.url}])
    ann.evaluate(
        "() => { window.seenStates = []; window.tandemClient.on('state', (s) => window.seenStates.push(s.state)); }"
    )
    stack.manage(
        "shell",
        "-c",
        f"from django.contrib.sessions.backends.db import SessionStore; SessionStore({old!r}).delete()",
    )
    # The old cookie's socket is closed at its next re-check; the tab comes back with the new one.
    ann.wait_for_function("window.seenStates.includes('open')", timeout=20_000)
    assert "logged_out" not in ann.evaluate("window.seenStates")
    assert not ann.get_by_text("Your session ended.").is_visible()


def test_a_session_that_ended_still_says_so(logged_in, stack) -> None:
    ann = logged_in("ann")
    wait_open(ann)
    key = next(c["value"] for c in ann.context.cookies() if c["name"] == "sessionid")
    stack.manage(
        "shell",
        "-c",
        f"from django.contrib.sessions.backends.db import SessionStore; SessionStore({key!r}).delete()",
    )
    ann.get_by_text("Your session ended.").wait_for(timeout=20_000)
