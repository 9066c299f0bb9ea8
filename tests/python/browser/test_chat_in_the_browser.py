"""Two people chatting in real Chromium against the real example stack: sending, ticks from
grey to blue, typing dots, presence, a sidecar outage survived through the HTTP fallback, and
infinite scroll. Timings are taken in the browser with performance.now()."""

from __future__ import annotations

from browser_pages import HISTORY, open_chat, screenshot

TICK = ".tandem-message.mine:last-child .tandem-tick"


def send(page, text: str) -> None:
    page.fill(".tandem-input", text)
    page.press(".tandem-input", "Enter")


def bubble(page, text: str):
    return page.locator(".tandem-message", has_text=text)


def test_a_message_reaches_the_other_person_and_its_ticks_turn_blue(logged_in) -> None:
    ann, bob = logged_in("ann"), logged_in("bob")
    open_chat(ann, "bob")
    open_chat(bob, "ann")
    timings = []
    for i in range(5):
        text = f"hello from ann {i}"
        send(ann, text)
        bubble(bob, text).wait_for()
        timings.append(
            ann.evaluate(
                """(text) => {
                  const v = window.tandemChat;
                  const own = [...v.byKey.values()].find((r) => r.body === text);
                  return {clientId: own.client_id, sentAt: v.metrics.sentAt[own.client_id],
                          enterToBubble: v.metrics.enterToBubble[v.metrics.enterToBubble.length - 1]};
                }""",
                text,
            )
        )
        timings[-1]["arrivedAt"] = bob.evaluate(
            "(id) => window.tandemChat.metrics.bubbles[id]", timings[-1]["clientId"]
        )
    # Bob has the chat open and in view: his read receipt turns Ann's ticks blue.
    ann.wait_for_selector(f"{TICK}[aria-label=Read]", timeout=10_000)
    enter = sorted(t["enterToBubble"] for t in timings)
    across = sorted(t["arrivedAt"] - t["sentAt"] for t in timings)
    print(f"\nEnter → own bubble: median {enter[2]:.2f} ms, max {enter[-1]:.2f} ms")
    print(f"send → the other context's bubble: median {across[2]:.1f} ms, max {across[-1]:.1f} ms")
    assert enter[-1] < 50
    screenshot(ann, "chat-ann-light")
    screenshot(bob, "chat-bob-light")


def test_the_other_person_sees_typing_dots_and_the_typist_does_not(logged_in) -> None:
    ann, bob = logged_in("ann"), logged_in("bob")
    open_chat(ann, "bob")
    open_chat(bob, "ann")
    ann.click(".tandem-input")
    ann.keyboard.type("I am typ", delay=60)
    bob.wait_for_selector(".tandem-typing .tandem-dots")
    assert "ann is typing" in bob.inner_text(".tandem-typing")
    assert ann.inner_text(".tandem-typing") == ""
    # A second after the last keystroke the client says stop.
    bob.wait_for_selector(".tandem-typing .tandem-dots", state="detached", timeout=5_000)


def test_presence_goes_offline_when_the_other_person_leaves(logged_in) -> None:
    ann, bob = logged_in("ann"), logged_in("bob")
    open_chat(ann, "bob")
    open_chat(bob, "ann")
    bob.wait_for_selector(".tandem-presence .tandem-dot.online")
    assert "Online" in bob.inner_text(".tandem-presence")
    ann.context.close()
    bob.wait_for_selector(".tandem-presence:has-text('last seen')", timeout=10_000)
    assert not bob.locator(".tandem-presence .tandem-dot.online").count()


def test_a_message_sent_while_the_sidecar_is_down_arrives_exactly_once(logged_in, stack) -> None:
    ann, bob = logged_in("ann"), logged_in("bob")
    open_chat(ann, "bob")
    open_chat(bob, "ann")
    stack.stop_sidecar(kill=True)
    ann.wait_for_selector(".tandem-status[data-state=reconnecting]")
    send(ann, "sent while the sidecar was down")
    # Stored through Django's HTTP fallback: one grey tick without any socket.
    ann.wait_for_selector(f"{TICK}[aria-label=Sent]", timeout=10_000)
    stack.start_sidecar()
    bubble(bob, "sent while the sidecar was down").wait_for(timeout=40_000)
    ann.wait_for_selector(".tandem-status[data-state=connected]", state="attached", timeout=40_000)
    bob.wait_for_timeout(1_000)
    assert bubble(bob, "sent while the sidecar was down").count() == 1
    assert bubble(ann, "sent while the sidecar was down").count() == 1


def test_scrolling_to_the_top_loads_older_messages_and_keeps_the_place(logged_in) -> None:
    ann = logged_in("ann")
    open_chat(ann, "bob")
    ann.wait_for_function("window.tandemChat.historyLoaded")
    first = ann.locator(".tandem-message").count()
    assert first >= 50
    oldest_before = ann.evaluate("window.tandemChat.oldestSeq")
    ann.evaluate("document.querySelector('.tandem-messages').scrollTop = 0")
    ann.wait_for_function(f"window.tandemChat.oldestSeq < {oldest_before}")
    assert ann.locator(".tandem-message").count() == first + 20
    # The reader is not thrown to the top: the newly loaded page sits above the view.
    assert ann.evaluate("document.querySelector('.tandem-messages').scrollTop") > 100
    ann.evaluate("document.querySelector('.tandem-messages').scrollTop = 0")
    ann.wait_for_function("window.tandemChat.oldestSeq === 1")
    assert ann.locator(f".tandem-message[data-seq='{HISTORY}']").count() == 1


def test_dark_theme_screenshots(logged_in) -> None:
    ann, bob = logged_in("ann", color_scheme="dark"), logged_in("bob", color_scheme="dark")
    open_chat(ann, "bob")
    open_chat(bob, "ann")
    send(ann, "it works in the dark too")
    bubble(bob, "it works in the dark too").wait_for()
    screenshot(ann, "chat-ann-dark")
    screenshot(bob, "chat-bob-dark")
