"""In real Chromium against the example stack: a privacy change reaches the other person's open
page at once (the chat header drops "Online" / "last seen" with no reload, and shows it again
when the change is undone), and the optional message sound: off by default, turned on by a
checkbox, sounding for a message in a chat not in view, remembered across a reload."""

from __future__ import annotations

from browser_pages import open_chat, send, wait_open

# Counts the tones the page starts, by wrapping Web Audio before any page script runs.
COUNT_TONES = """
window.__tandemTones = 0;
if (window.AudioContext) {
  const Original = window.AudioContext;
  window.AudioContext = class extends Original {
    createOscillator() {
      const oscillator = super.createOscillator();
      const start = oscillator.start.bind(oscillator);
      oscillator.start = (...args) => { window.__tandemTones += 1; return start(...args); };
      return oscillator;
    }
  };
}
"""


def choose_privacy(page, stack_url: str, label: str) -> None:
    page.goto(f"{stack_url}/settings/privacy/")
    page.select_option("select[name=presence_visibility]", label=label)
    # The settings form's own button (the page's header also has the logout form's).
    page.click("form:has(select[name=presence_visibility]) button[type=submit]")
    page.wait_for_selector(".saved")


def test_a_privacy_change_updates_the_other_persons_header_without_a_reload(logged_in, stack) -> None:
    ann, bob = logged_in("ann"), logged_in("bob")
    open_chat(bob, "Ann")
    presence = bob.locator(".tandem-header .tandem-presence")
    bob.wait_for_function(
        "document.querySelector('.tandem-header .tandem-presence').textContent.trim() !== ''"
    )
    choose_privacy(ann, stack.url, "Nobody")
    bob.wait_for_function(
        "document.querySelector('.tandem-header .tandem-presence').textContent.trim() === ''", timeout=10_000
    )
    choose_privacy(ann, stack.url, "Everyone")
    bob.wait_for_function(
        "document.querySelector('.tandem-header .tandem-presence').textContent.trim() !== ''", timeout=10_000
    )
    assert presence.inner_text().strip() != ""


def test_the_message_sound_is_off_by_default_and_plays_once_turned_on(logged_in) -> None:
    bob = logged_in("bob")  # on the chat list: no chat in view
    bob.context.add_init_script(COUNT_TONES)
    bob.reload()
    wait_open(bob)
    toggle = bob.locator("[data-tandem-sound]")
    assert toggle.is_visible()
    assert not toggle.is_checked()
    ann = logged_in("ann")
    open_chat(ann, "bob")
    send(ann, "no sound for this one")
    bob.locator("a.chat-row .chat-last", has_text="no sound for this one").wait_for()
    assert bob.evaluate("window.__tandemTones") == 0

    toggle.check()  # the user's click: also what lets the page make sound
    bob.wait_for_function("window.tandemSound.enabled")
    send(ann, "this one rings")
    bob.locator("a.chat-row .chat-last", has_text="this one rings").wait_for()
    bob.wait_for_function("window.__tandemTones === 1", timeout=10_000)

    bob.reload()  # remembered
    wait_open(bob)
    assert bob.locator("[data-tandem-sound]").is_checked()
