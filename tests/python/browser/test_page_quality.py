"""The example's pages as a user and a reviewer see them: no serious or critical axe-core
violations in light and dark, nothing blocked by the strict Content-Security-Policy, keyboard
use, the character counter instead of silent truncation, safe links, date separators and the
unread marker; screenshots of the layout for docs/screenshots/."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from browser_pages import RECORD_NOTIFICATIONS, ROOT, bubble, open_chat, screenshot, send, wait_open

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""
PAGES = ["/", "/chats/{one}/", "/chats/{group}/", "/chats/new/", "/settings/privacy/", "/accounts/password/"]


@pytest.fixture
def audited(logged_in):
    """logged_in(...) with axe-core and a CSP violation recorder in every page of the context."""
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm ci --prefix tests/python/browser` (scripts/test.sh does)")

    def login(name: str, **kwargs):
        page = logged_in(name, csp=True, **kwargs)
        page.context.add_init_script(path=str(AXE))
        page.context.add_init_script(WATCH_CSP)
        page.reload()
        return page

    return login


def chat_ids(page) -> dict[str, str]:
    ids = {}
    for link in page.locator("a.chat-row").all():
        key = "group" if link.get_attribute("data-group") == "1" else "one"
        ids.setdefault(key, link.get_attribute("data-chat"))
    return ids


def axe_violations(page) -> list[dict]:
    result = page.evaluate(
        """() => axe.run(document, {resultTypes: ["violations"]}).then((r) =>
             r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" "))})))"""
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_or_critical_accessibility_violations_and_no_csp_violations(
    audited, stack, scheme
) -> None:
    ann = audited("ann", color_scheme=scheme)
    ids = chat_ids(ann)
    report = {}
    for path in PAGES:
        ann.goto(stack.url + path.format(**ids))
        # Selectors only: wait_for_function would evaluate a string, which the CSP forbids.
        if "/chats/" in path and "new" not in path:
            ann.wait_for_selector(".tandem-status[data-state=open]", state="attached")
            ann.wait_for_selector(".tandem-messages[aria-busy=false]")
        elif path == "/":
            ann.wait_for_selector(".tandem-status[data-state=open]", state="attached")
        header = ann.evaluate(
            "() => fetch(location.href).then((r) => r.headers.get('content-security-policy'))"
        )
        assert "default-src 'self'" in (header or ""), path
        report[path] = axe_violations(ann)
        assert ann.evaluate("window.__cspViolations") == [], path
    print(f"\naxe-core ({scheme}): " + json.dumps({p: len(v) for p, v in report.items()}))
    assert all(not v for v in report.values()), json.dumps(report, indent=1)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_login_page_has_no_serious_or_critical_violations(browser, stack, scheme) -> None:
    context = browser.new_context(color_scheme=scheme)
    try:
        context.add_init_script(path=str(AXE))
        context.add_init_script(WATCH_CSP)
        page = context.new_page()
        page.goto(f"{stack.url}/accounts/login/")
        assert axe_violations(page) == []
        assert page.evaluate("window.__cspViolations") == []
    finally:
        context.close()


def test_the_conversation_works_from_the_keyboard_alone(logged_in) -> None:
    ann, bob = logged_in("ann"), logged_in("bob")
    wait_open(ann)
    # Tab to the chat row and open it with Enter.
    for _ in range(12):
        ann.keyboard.press("Tab")
        if ann.evaluate("document.activeElement.matches('a.chat-row')"):
            break
    ann.keyboard.press("Enter")
    wait_open(ann)
    ann.wait_for_function("window.tandemChat.historyLoaded")
    ann.focus(".tandem-messages")
    before = ann.evaluate("document.querySelector('.tandem-messages').scrollTop")
    ann.keyboard.press("PageUp")
    ann.wait_for_function(f"document.querySelector('.tandem-messages').scrollTop < {before}")
    ann.focus(".tandem-input")
    ann.keyboard.type("sent with the keyboard")
    ann.keyboard.press("Enter")
    open_chat(bob, "Ann")
    bubble(bob, "sent with the keyboard").wait_for()


def test_two_panes_switch_chats_without_a_page_load(logged_in) -> None:
    ann = logged_in("ann", width=1280, height=800)
    wait_open(ann)
    assert ann.locator(".tandem-placeholder").is_visible()
    ann.evaluate("window.samePage = true")
    open_chat(ann, "bob")
    assert "/chats/" in ann.url
    assert ann.locator(".tandem-title").inner_text() == "Bob"
    open_chat(ann, "Weekend trip")
    assert ann.locator(".tandem-title").inner_text() == "Weekend trip"
    assert ann.locator(".pane-list").is_visible()
    assert ann.locator(".tandem-back").is_hidden()
    assert ann.evaluate("window.samePage === true")  # no page load: same tab client and socket
    ann.go_back()
    ann.wait_for_function("document.querySelector('.tandem-title').textContent === 'Bob'")
    assert ann.evaluate("window.samePage === true")


def test_on_a_phone_one_pane_shows_and_the_back_arrow_returns_to_the_list(logged_in) -> None:
    ann = logged_in("ann", width=390, height=780)
    wait_open(ann)
    assert ann.locator(".pane-list").is_visible()
    assert ann.locator(".pane-chat").is_hidden()
    open_chat(ann, "bob")
    assert ann.locator(".pane-list").is_hidden()
    ann.locator(".tandem-back").click()
    ann.wait_for_url("**/")
    assert ann.locator(".pane-list").is_visible()


def test_a_message_in_a_chat_not_in_view_raises_a_desktop_notification(logged_in) -> None:
    ann, bob = logged_in("ann"), logged_in("bob", width=1280, height=800)
    bob.context.add_init_script(RECORD_NOTIFICATIONS)
    bob.reload()
    open_chat(bob, "Weekend trip")  # looking at another chat
    open_chat(ann, "bob")
    send(ann, "ping for the desktop")
    bob.wait_for_function("window.notified.length > 0")
    assert bob.evaluate("window.notified") == [{"title": "Ann", "body": "ping for the desktop"}]
    open_chat(bob, "Ann")  # now in view: no notification
    send(ann, "seen in the open chat")
    bubble(bob, "seen in the open chat").wait_for()
    bob.wait_for_timeout(500)
    assert bob.evaluate("window.notified.length") == 1


def test_scrolled_up_new_messages_are_counted_on_the_scroll_to_bottom_button(logged_in) -> None:
    ann, bob = logged_in("ann"), logged_in("bob")
    open_chat(ann, "bob")
    open_chat(bob, "Ann")
    bob.evaluate("document.querySelector('.tandem-messages').scrollTop = 200")
    button = bob.locator(".tandem-to-bottom")
    button.wait_for()
    send(ann, "while bob reads old messages 1")
    send(ann, "while bob reads old messages 2")
    bob.locator(".tandem-to-bottom .tandem-unseen", has_text="2").wait_for(timeout=10_000)
    button.click()
    button.wait_for(state="hidden")
    assert bob.locator(".tandem-message", has_text="while bob reads old messages 2").is_visible()


def test_a_long_paste_shows_a_counter_and_is_not_cut(logged_in) -> None:
    ann = logged_in("ann")
    open_chat(ann, "bob")
    ann.fill(".tandem-input", "x" * 5000)
    counter = ann.locator(".tandem-counter")
    counter.wait_for()
    assert counter.inner_text().replace(",", "").replace("\u202f", "").replace(" ", "") == "5000/4096"
    assert ann.locator(".tandem-send").is_disabled()
    ann.press(".tandem-input", "Enter")
    assert len(ann.input_value(".tandem-input")) == 5000  # nothing sent, nothing lost
    ann.fill(".tandem-input", "short")
    assert not counter.is_visible()


def test_links_are_clickable_and_safe(logged_in) -> None:
    ann, bob = logged_in("ann"), logged_in("bob")
    open_chat(ann, "bob")
    open_chat(bob, "Ann")
    send(ann, "see https://example.com/a?b=1, not javascript:alert(1)")
    message = bubble(bob, "see https://example.com/a")
    message.wait_for()
    links = message.locator("a")
    assert links.count() == 1
    assert links.get_attribute("href") == "https://example.com/a?b=1"
    assert links.get_attribute("rel") == "noopener noreferrer"
    assert links.get_attribute("target") == "_blank"


def test_date_separators_and_the_unread_marker(logged_in) -> None:
    ann, bob = logged_in("ann"), logged_in("bob")
    wait_open(bob)  # on the list: messages are delivered, not read
    open_chat(ann, "bob")
    assert ann.locator(".tandem-date").count() >= 1
    for i in range(3):
        send(ann, f"unread {i}")
    ann.wait_for_selector(
        ".tandem-message.mine:last-child .tandem-tick[aria-label=Delivered]", timeout=10_000
    )
    open_chat(bob, "Ann")
    marker = bob.locator(".tandem-unread-marker")
    marker.wait_for()
    assert "unread message" in marker.inner_text()
    # It sits right above the first unread message, which is before the three just sent.
    following = bob.locator(".tandem-unread-marker ~ .tandem-message", has_text="unread 0")
    assert following.count() == 1


@pytest.mark.parametrize(
    ("name", "scheme", "width", "height"),
    [("chat-light", "light", 1280, 800), ("chat-dark", "dark", 1280, 800), ("chat-phone", "light", 390, 780)],
)
def test_screenshots_for_the_docs(logged_in, name, scheme, width, height) -> None:
    ann = logged_in("ann", color_scheme=scheme, width=width, height=height)
    bob = logged_in("bob")
    open_chat(ann, "bob")
    open_chat(bob, "Ann")
    send(bob, "Dinner at 8? The menu: https://example.com/menu")
    bubble(ann, "Dinner at 8?").last.wait_for()
    send(ann, "Sounds good, see you there")
    ann.wait_for_selector(".tandem-message.mine:last-child .tandem-tick[aria-label=Read]", timeout=10_000)
    screenshot(ann, name)
    if os.environ.get("TANDEM_DOCS_SCREENSHOTS") == "1":  # refresh docs/screenshots/ on purpose only
        ann.screenshot(path=str(DOCS_SCREENSHOTS / f"{name}.png"))
