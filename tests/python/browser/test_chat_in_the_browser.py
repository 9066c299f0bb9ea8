"""Two people chatting in real Chromium against the real example stack: sending, ticks from
grey to blue, typing dots, presence, a sidecar outage survived through the HTTP fallback, and
infinite scroll. Timings are taken in the browser with performance.now()."""

from __future__ import annotations

from browser_pages import HISTORY, bubble, open_chat, outbox_bodies, screenshot, send, wait_open

TICK = ".tandem-message.mine:last-child .tandem-tick"


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
    for t in timings:
        t.update(ann.evaluate("(id) => window.tandemChat.metrics.statusAt[id]", t["clientId"]))
    enter = sorted(t["enterToBubble"] for t in timings)
    across = sorted(t["arrivedAt"] - t["sentAt"] for t in timings)
    print(f"\nEnter → own bubble: median {enter[2]:.2f} ms, max {enter[-1]:.2f} ms")
    print(f"Enter → the other context's bubble: median {across[2]:.1f} ms, max {across[-1]:.1f} ms")
    for step in ("sent", "delivered", "read"):
        # Receipts are batched (delivered 100 ms, read 300 ms), so these include the batching.
        took = sorted(t[step] - t["sentAt"] for t in timings if step in t)
        if took:
            print(f"Enter → {step} tick: median {took[len(took) // 2]:.1f} ms, max {took[-1]:.1f} ms")
    screenshot(ann, "chat-ann-light")
    screenshot(bob, "chat-bob-light")


def test_the_own_bubble_shows_before_the_network_answers(logged_in) -> None:
    """Enter puts the message on screen at once, pending, without waiting for any answer. Checked in
    the same task as the key press, so no frame from the server can have been handled in between:
    a property, not a timing (a busy machine once stalled Chromium's first send by 585 ms)."""
    ann = logged_in("ann")
    open_chat(ann, "bob")
    shown = ann.evaluate(
        """(text) => {
          const input = document.querySelector(".tandem-input");
          input.value = text;
          input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
          const mine = [...document.querySelectorAll(".tandem-message.mine")].pop();
          return { text: mine.innerText, tick: mine.querySelector(".tandem-tick").getAttribute("aria-label"),
                   pending: window.tandemChat.config.ticks.pending.label, input: input.value };
        }""",
        "shown before any answer",
    )
    assert "shown before any answer" in shown["text"]
    assert shown["tick"] == shown["pending"]
    assert shown["input"] == ""
    # And the answer then turns it into a sent tick.
    ann.wait_for_selector(f"{TICK}:not([aria-label='{shown['pending']}'])", timeout=10_000)


def test_the_other_person_sees_typing_dots_and_the_typist_does_not(logged_in) -> None:
    ann, bob = logged_in("ann"), logged_in("bob")
    open_chat(ann, "bob")
    open_chat(bob, "ann")
    ann.click(".tandem-input")
    ann.keyboard.type("I am typ", delay=60)
    bob.wait_for_selector(".tandem-typing .tandem-dots")
    assert "Ann is typing" in bob.inner_text(".tandem-typing")  # the display name, as in the header
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
    ann.wait_for_selector(".tandem-status[data-state=reconnecting]", state="attached")
    send(ann, "sent while the sidecar was down")
    # Stored through Django's HTTP fallback: one grey tick without any socket.
    ann.wait_for_selector(f"{TICK}[aria-label=Sent]", timeout=10_000)
    stack.start_sidecar()
    bubble(bob, "sent while the sidecar was down").wait_for(timeout=40_000)
    wait_open(ann, timeout=40_000)
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


def test_another_tab_of_the_sender_shows_the_message_and_its_read_state(logged_in) -> None:
    ann = logged_in("ann")
    ann_tab2 = ann.context.new_page()
    bob = logged_in("bob")
    open_chat(ann, "bob")
    ann_tab2.goto(ann.url)
    wait_open(ann_tab2)
    open_chat(bob, "ann")
    send(ann, "seen in both my tabs")
    mine = ann_tab2.locator(".tandem-message.mine", has_text="seen in both my tabs")
    mine.wait_for()
    ann_tab2.wait_for_selector(
        ".tandem-message.mine:last-child .tandem-tick[aria-label=Read]", timeout=10_000
    )


def test_message_info_in_a_group_lists_who_read_and_when(logged_in) -> None:
    ann, bob = logged_in("ann"), logged_in("bob")
    open_chat(ann, "Weekend trip")
    open_chat(bob, "Weekend trip")
    send(ann, "who has read this?")
    bubble(bob, "who has read this?").wait_for()
    ann.wait_for_function(
        "[...window.tandemChat.byKey.values()].some((r) => r.body === 'who has read this?' && r.seq)"
    )
    ann.wait_for_timeout(1_000)  # bob's read receipt is batched
    ann.locator(".tandem-message.mine", has_text="who has read this?").click()
    dialog = ann.locator("dialog.tandem-info")
    dialog.wait_for()
    text = dialog.inner_text()
    assert "Bob" in text
    assert "Cy" in text
    assert "read —" in text  # cy has not read it
    screenshot(ann, "message-info")


def test_a_groups_header_counts_its_members_and_those_online(logged_in) -> None:
    ann = logged_in("ann")
    open_chat(ann, "Weekend trip")
    # ann alone (cy logs in only in a later test of this module): she counts, while her link is open
    header = ".tandem-header .tandem-presence"
    ann.wait_for_function(f"document.querySelector('{header}').textContent === '3 members, 1 online'")
    bob = logged_in("bob")  # any page of bob's: his tab's one socket makes him online
    open_chat(bob, "Weekend trip")
    ann.wait_for_function(f"document.querySelector('{header}').textContent === '3 members, 2 online'")
    assert "Bob" not in ann.inner_text(header)  # a count, not names
    bob.context.close()
    ann.wait_for_function(
        f"document.querySelector('{header}').textContent === '3 members, 1 online'", timeout=15_000
    )


def test_with_no_socket_and_no_http_a_message_waits_in_the_outbox_and_is_sent_once(logged_in, stack) -> None:
    ann, bob = logged_in("ann"), logged_in("bob")
    open_chat(ann, "bob")
    open_chat(bob, "ann")
    stack.stop_sidecar(kill=True)
    ann.wait_for_selector(".tandem-status[data-state=reconnecting]", state="attached")
    ann.route("**/tandem/api/**", lambda route: route.abort())  # the HTTP fallback is down too
    send(ann, "kept in the outbox")
    assert "kept in the outbox" in outbox_bodies(ann)  # written before the first attempt
    ann.wait_for_timeout(1_000)
    assert ann.locator(f"{TICK}[aria-label=Sending]").count() == 1
    ann.unroute("**/tandem/api/**")
    stack.start_sidecar()
    bubble(bob, "kept in the outbox").wait_for(timeout=40_000)
    ann.wait_for_function(
        "window.tandemClient.outbox.all().then((all) => !all.some((e) => e.body === 'kept in the outbox'))"
    )
    bob.wait_for_timeout(1_000)
    assert bubble(bob, "kept in the outbox").count() == 1


def test_the_chat_list_shows_unread_counts_and_the_last_message(logged_in) -> None:
    ann, cy = logged_in("ann"), logged_in("cy")
    open_chat(ann, "Weekend trip")
    send(ann, "unread for cy")
    bubble(ann, "unread for cy").locator(".tandem-tick[aria-label=Sent]").wait_for()
    cy.reload()
    row = cy.locator("a.chat-row", has_text="Weekend trip")
    assert "unread for cy" in row.inner_text()
    assert int(row.locator(".unread").inner_text()) >= 1
    screenshot(cy, "chat-list")


def test_read_receipts_turned_off_keep_the_ticks_grey(logged_in) -> None:
    bob = logged_in("bob")
    bob.click("a[href='/settings/privacy/']")
    bob.uncheck("input[name=read_receipts]")
    bob.click("main button[type=submit]")
    bob.wait_for_selector(".saved")
    ann = logged_in("ann")
    open_chat(ann, "bob")
    bob.goto(bob.url.replace("/settings/privacy/", "/"))
    open_chat(bob, "ann")
    send(ann, "no blue ticks please")
    bubble(bob, "no blue ticks please").wait_for()
    ann.wait_for_selector(f"{TICK}[aria-label=Delivered]", timeout=10_000)
    ann.wait_for_timeout(1_500)
    assert ann.locator(f"{TICK}[aria-label=Read]").count() == 0
    bob.click("a[href='/settings/privacy/']")
    bob.check("input[name=read_receipts]")
    bob.click("main button[type=submit]")
    bob.wait_for_selector(".saved")


def test_a_send_that_is_never_acknowledged_turns_red_and_retry_sends_it(logged_in) -> None:
    ann = logged_in("ann")
    swallowing = {"on": True}

    def between(ws) -> None:
        # A proxy between page and sidecar that loses "send" frames while swallowing is on.
        server = ws.connect_to_server()

        def to_server(message) -> None:
            if swallowing["on"] and '"type": "send"' in str(message).replace('":"', '": "'):
                return
            server.send(message)

        ws.on_message(to_server)
        server.on_message(lambda message: ws.send(message))

    ann.route_web_socket("**/ws/notifications/**", between)
    # The HTTP fallback fails too (the core tries it after the socket's retries).
    ann.route(
        "**/tandem/api/chats/*/messages/",
        lambda route: route.abort() if swallowing["on"] else route.continue_(),
    )
    ann.reload()  # the tab's socket opened before the route: open it again through the route
    open_chat(ann, "bob")
    send(ann, "lost on the way")
    failed = ann.locator(".tandem-message.mine", has_text="lost on the way")
    # The original send and three retries (the core's message backoff), then the red warning.
    failed.locator(".tandem-tick[aria-label^='Not sent']").wait_for(timeout=40_000)
    swallowing["on"] = False
    failed.locator(".tandem-retry").click()
    ann.wait_for_selector(f"{TICK}[aria-label=Sent]", timeout=10_000)
    assert ann.locator(".tandem-message", has_text="lost on the way").count() == 1
