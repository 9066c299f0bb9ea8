// The conversation view: renders one chat of the headless client (core/client.js) and turns the
// user's actions into its commands. It holds no protocol state: what is stored, sent, synced or
// owed as a receipt lives in the core; this file only decides what the page looks like.
import { ConnectionBanner } from "./connection_banner.js";
import { displayName } from "./display_name.js";
import { el } from "./element.js";
import { MessageList } from "./message_list.js";
import { codePoints } from "./core/body_rules.js";

const COUNTER_FROM = 0.9; // the character counter appears at 90% of the limit

function now() {
  // One clock for every tab on the machine, at sub-millisecond resolution (for the timings).
  return performance.timeOrigin + performance.now();
}

export class ChatView {
  constructor(root, client, config) {
    Object.assign(this, { root, client, config });
    this.me = config.me.id;
    this.chat = config.chat.id;
    this.store = client.store(this.chat);
    this.metrics = { enterToBubble: [], bubbles: {}, sentAt: {}, statusAt: {} };
    this.presence = new Map();
    this.lastTypingStart = 0;
    this.render();
    this.list = new MessageList(this.scroller, this.ol, { client, config, view: this });
    this.unsubscribe = [];
    this.subscribe();
    this.client.openChat(this.chat);
    for (const record of this.store.ordered()) this.list.place(record);
    this.onPresence({ users: [...client.presence.values()] });
    // Shown before in this tab (two panes): the first page is here already.
    if (this.store.firstPageLoaded) this.list.onHistory({ first: true });
  }

  /** Leaves the page's client running; only this view goes (switching chats in two panes). */
  destroy() {
    for (const off of this.unsubscribe) off();
    this.list.destroy();
    this.banner.destroy();
    clearTimeout(this.typingStopTimer);
    if (this.lastTypingStart) this.client.typing(this.chat, "stop");
    this.root.replaceChildren();
  }

  // compatibility with the browser tests and the console
  get historyLoaded() {
    return this.store.firstPageLoaded;
  }

  get oldestSeq() {
    return this.store.oldest;
  }

  get byKey() {
    return this.store.records;
  }

  render() {
    const c = this.config.chat;
    this.banner = new ConnectionBanner(this.client, this.config);
    this.presenceLine = el("div", { class: "tandem-presence" });
    this.ol = el("ol", { class: "tandem-message-list" });
    this.scroller = el("div", { class: "tandem-messages", role: "log", "aria-label": "Messages", "aria-busy": "true", tabindex: "0" }, this.ol);
    this.typingLine = el("div", { class: "tandem-typing", "aria-live": "polite" });
    this.input = el("textarea", { class: "tandem-input", rows: "1", placeholder: "Message", "aria-label": "Message" });
    this.counter = el("span", { class: "tandem-counter", id: `tandem-counter-${this.chat}`, hidden: true });
    this.sendButton = el("button", { class: "tandem-send", type: "submit", "aria-label": "Send" }, "➤");
    this.form = el("form", { class: "tandem-compose" }, this.input, this.counter, this.sendButton);
    const noLonger = c.is_group ? "this group because you're no longer a participant" : "this chat";
    this.leftNotice = el("p", { class: "tandem-left-notice", role: "status", hidden: true }, `You can't send messages to ${noLonger}.`);
    const back = this.config.list_url ? el("a", { class: "tandem-back", href: this.config.list_url, "aria-label": "Back to chats" }, "←") : null;
    this.root.replaceChildren();
    this.root.setAttribute("aria-label", c.title);
    this.root.append(
      el("header", { class: "tandem-header" }, back, el("div", {}, el("h1", { class: "tandem-title" }, c.title), this.presenceLine)),
      this.banner.node,
      this.scroller,
      this.typingLine,
      this.form,
      this.leftNotice,
    );
    this.showMembership(!this.client.left.has(this.chat));
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.sendFromInput();
    });
    this.input.addEventListener("keydown", (e) => {
      // Enter while an input method is composing (Japanese, Chinese...) confirms the text.
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        this.sendFromInput();
      }
    });
    this.input.addEventListener("input", () => {
      this.updateCounter();
      this.onKeystroke();
    });
  }

  subscribe() {
    const mine = (handler) => (detail) => detail.chat === this.chat && handler(detail);
    const on = (type, handler) => this.unsubscribe.push(this.client.on(type, handler));
    on("records", mine(({ records }) => records.forEach((r) => this.onRecord(r))));
    on("reset", mine(() => this.list.clear()));
    on("history", mine((h) => this.list.onHistory(h)));
    on("history_failed", mine((f) => this.list.onHistoryFailed(f)));
    on("typing", mine((frame) => this.onTyping(frame)));
    on(
      "membership",
      mine(({ member }) => {
        this.showMembership(member);
        this.renderPresence(); // a group's count is not shown to someone no longer in it
      }),
    );
    on("presence", (frame) => this.onPresence(frame));
    // Open, the user counts among a group's online; not open, nobody's presence is known.
    on("state", ({ state }) => (state === "open" ? this.renderPresence() : this.clearPresence()));
    const visible = () => this.list.reportRead();
    document.addEventListener("visibilitychange", visible);
    this.unsubscribe.push(() => document.removeEventListener("visibilitychange", visible));
  }

  onRecord(record) {
    const t = now();
    const key = record.client_id;
    if (!record.mine && !this.metrics.bubbles[key]) this.metrics.bubbles[key] = t;
    if (record.mine && record.status && record.status !== "pending") {
      const at = (this.metrics.statusAt[key] ??= {});
      at[record.status] ??= t;
    }
    this.list.place(record);
  }

  /** A chat the user left (or was removed from) offers no composer, as WhatsApp does: a send
   *  would only be refused `forbidden`. Joined again, it comes back. */
  showMembership(member) {
    const hadFocus = document.activeElement === this.input;
    this.form.hidden = !member;
    this.leftNotice.hidden = member;
    if (member && hadFocus) this.input.focus();
  }

  // ---- sending -----------------------------------------------------------------------------

  sendFromInput() {
    const body = this.input.value;
    const started = now();
    const result = this.client.send(this.chat, body);
    if (result.error) {
      if (result.error !== "body_empty") this.updateCounter(true);
      return;
    }
    this.input.value = "";
    this.updateCounter();
    this.metrics.enterToBubble.push(now() - started);
    this.metrics.sentAt[result.record.client_id] = started;
    clearTimeout(this.typingStopTimer);
    this.lastTypingStart = 0;
    this.list.scrollToEnd();
  }

  updateCounter(insist = false) {
    // Near the limit the user sees how much is left; over it, sending is refused with a reason
    // instead of the text being cut silently.
    const max = this.config.limits.max_body_chars;
    const n = codePoints(this.input.value);
    const show = insist || n >= max * COUNTER_FROM;
    this.counter.hidden = !show;
    this.counter.textContent = show ? `${n.toLocaleString()} / ${max.toLocaleString()}` : "";
    const over = n > max;
    this.counter.classList.toggle("over", over);
    this.input.toggleAttribute("aria-invalid", over);
    if (over) this.input.setAttribute("aria-describedby", this.counter.id);
    else this.input.removeAttribute("aria-describedby");
    this.sendButton.disabled = over;
  }

  onKeystroke() {
    const t = Date.now();
    const policy = this.config.typing;
    if (t - this.lastTypingStart >= policy.start_interval_ms / 2) {
      this.client.typing(this.chat, "start");
      this.lastTypingStart = t;
    }
    clearTimeout(this.typingStopTimer);
    this.typingStopTimer = setTimeout(() => {
      this.client.typing(this.chat, "stop");
      this.lastTypingStart = 0;
    }, policy.client_idle_stop_ms);
  }

  // ---- typing and presence -----------------------------------------------------------------

  onTyping(frame) {
    this.typingLine.replaceChildren();
    const names = frame.users.map((u) => displayName(this.config, u.user));
    if (!names.length) return;
    const text = names.length === 1 ? `${names[0]} is typing` : `${names.slice(0, -1).join(", ")} and ${names.at(-1)} are typing`;
    this.typingLine.append(
      el("span", { class: "tandem-typing-text" }, text),
      el("span", { class: "tandem-dots", "aria-hidden": "true" }, el("i"), el("i"), el("i")),
    );
  }

  onPresence(frame) {
    const members = this.config.chat.members;
    for (const user of frame.users) {
      if (!members[String(user.user)] || user.user === this.me) continue;
      // A privacy change hid this person's presence: the header shows nothing of it at once.
      if (user.hidden) this.presence.delete(user.user);
      else this.presence.set(user.user, user);
    }
    this.renderPresence();
  }

  clearPresence() {
    // A presence shown over a dead link would be a guess; the next hello brings a snapshot.
    this.presence.clear();
    this.renderPresence();
  }

  renderPresence() {
    const others = [...this.presence.values()];
    this.presenceLine.replaceChildren();
    if (!this.config.chat.is_group && others.length) {
      const p = others[0];
      this.presenceLine.append(el("span", { class: `tandem-dot ${p.online ? "online" : ""}`, "aria-hidden": "true" }), p.text);
    } else if (this.config.chat.is_group && !this.client.left.has(this.chat)) {
      // The user counts as online while the page's link is open (as the messengers count them).
      const online = others.filter((p) => p.online).length + (this.client.state === "open" ? 1 : 0);
      this.presenceLine.append(groupPresenceText(Object.keys(this.config.chat.members).length, online));
    }
  }
}

/** A group's header line: how many members (the user too), and how many of them are online (a
 *  count, as the messengers show it: a list of names does not fit a group of a thousand). The
 *  members are those the page was rendered with (or learnt the chat with). */
export function groupPresenceText(members, online) {
  const many = `${members.toLocaleString("en-US")} ${members === 1 ? "member" : "members"}`;
  return online ? `${many}, ${online.toLocaleString("en-US")} online` : many;
}

export function startChat(root, client, config) {
  const view = new ChatView(root, client, config);
  window.tandemChat = view; // for the browser tests and the console
  return view;
}
