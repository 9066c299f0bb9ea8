"""A 4401 is not always the end of the session: Django gives a session a new key when its user
changes their password or logs in again, and a tab's socket, opened with the old cookie, is
closed at its re-check while the browser already holds the new one. The client asks Django
(api/session/) and, still signed in as the page's user, reconnects quietly with a fresh CSRF
token; a session that ended still says so. The stack re-checks sockets every second here."""

from __future__ import annotations

import pytest
from browser_pages import open_chat, send, wait_open
from conftest import FAST_PRESENCE

TICK = ".tandem-message.mine:last-child .tandem-tick"
RECORD_STATES = "() => { window.seenStates = []; window.tandemClient.on('state', (s) => window.seenStates.push(s.state)); }"


@pytest.fixture(scope="module")
def stack_env() -> dict[str, str]:
    return {**FAST_PRESENCE, "CHATSITE_AUTH_RECHECK_INTERVAL": "1"}


def session_key(page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")


def test_a_login_again_after_the_session_expired_resumes_the_tab_with_the_new_csrf_token(
    logged_in, stack
) -> None:
    ann = logged_in("ann")
    wait_open(ann)
    ann.evaluate(RECORD_STATES)
    asked: list[bool] = []  # this tab's session checks: whether each was let through
    offline = {"on": True}

    def session_check(route) -> None:
        asked.append(not offline["on"])
        route.abort() if offline["on"] else route.continue_()

    # The tab's first checks get no answer (as when its network drops a moment): asked again
    # on the backoff, so the last one is asked after the login below.
    ann.route("**/tandem/api/session/", session_check)
    expire(stack, session_key(ann))  # closed at the socket's re-check (4401 "session ended")
    ann.wait_for_function("window.seenStates.includes('connecting')", timeout=20_000)
    other = ann.context.new_page()
    other.goto(f"{stack.url}/accounts/login/")
    other.fill("input[name=username]", "ann")
    other.fill("input[name=password]", "ann-pass")
    other.click("main button[type=submit]")  # a new session and a new CSRF token (login())
    other.wait_for_url(f"{stack.url}/")
    assert asked
    offline["on"] = False
    ann.wait_for_function("window.seenStates.includes('open')", timeout=30_000)
    assert "logged_out" not in ann.evaluate("window.seenStates")
    assert asked[-1] is True
    # The page's logout form was rendered with the old token, which the login rotated: it
    # works with the one the session check brought.
    ann.get_by_role("button", name="Log out ann").click()
    ann.wait_for_url("**/accounts/login/")


def test_a_login_again_while_signed_in_leaves_this_tabs_logout_working(logged_in, stack) -> None:
    ann = logged_in("ann")
    wait_open(ann)
    other = ann.context.new_page()
    other.goto(f"{stack.url}/accounts/login/")
    other.fill("input[name=username]", "ann")
    other.fill("input[name=password]", "ann-pass")
    # The same user: Django keeps the session's key (no 4401, no session check) but rotates the
    # CSRF token, which this tab's logout form was rendered with.
    other.click("main button[type=submit]")
    other.wait_for_url(f"{stack.url}/")
    ann.get_by_role("button", name="Log out ann").click()
    ann.wait_for_url("**/accounts/login/")


def expire(stack, key: str) -> None:
    """The session ends without a logout (it expired, or was deleted): no event is sent."""
    stack.manage(
        "shell",
        "-c",
        f"from django.contrib.sessions.backends.db import SessionStore; SessionStore({key!r}).delete()",
    )


def test_a_session_that_ended_still_says_so(logged_in, stack) -> None:
    ann = logged_in("ann")
    wait_open(ann)
    expire(stack, session_key(ann))
    ann.locator(".tandem-status[data-state=logged_out]").first.wait_for(state="attached", timeout=20_000)
    assert "Your session ended." in ann.locator(".tandem-status[data-state=logged_out]").first.inner_text()


def test_a_password_changed_in_another_tab_keeps_this_tab_signed_in_and_connected(logged_in, stack) -> None:
    # Last in the module: ann's password is not the demo one after it.
    ann = logged_in("ann")
    open_chat(ann, "bob")
    wait_open(ann)
    before = session_key(ann)
    ann.evaluate(RECORD_STATES)
    other = ann.context.new_page()
    other.goto(f"{stack.url}/accounts/password/")
    other.fill("input[name=old_password]", "ann-pass")
    other.fill("input[name=new_password1]", "a-New-pass-for-ann-2026")
    other.fill("input[name=new_password2]", "a-New-pass-for-ann-2026")
    other.get_by_role("button", name="Change password").click()
    other.locator(".saved").wait_for()
    assert session_key(ann) != before  # the session has a new key, which this tab's socket lacks
    # Closed at its re-check (4401), the tab asks Django and comes back with the new cookie.
    ann.wait_for_function("window.seenStates.includes('open')", timeout=20_000)
    assert "logged_out" not in ann.evaluate("window.seenStates")
    send(ann, "still here after the password change")
    ann.wait_for_selector(
        ", ".join(f"{TICK}[aria-label={t}]" for t in ("Sent", "Delivered", "Read")), timeout=10_000
    )
