// The chat page's client (docs/protocol.md): optimistic send with ticks that follow the server,
// delivered and read receipts, typing, presence, history with infinite scroll, reconnect and
// sync, the HTTP fallback and an outbox while the socket is down. No framework: one view
// object per page, built by startChat(root, config) from {% tandem_client_config %}.
import { backoffDelay } from "./core/backoff.js";
import { Connection } from "./connection.js";
import { Outbox } from "./outbox.js";

const RANK = { pending: 0, failed: 0, sent: 1, delivered: 2, read: 3 };
const ACK_TIMEOUT_MS = 4000;

function now() {
  // One clock for every tab and context on the machine, at sub-millisecond resolution.
  return performance.timeOrigin + performance.now();
}

function newClientId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return "c-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function clock(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export class ChatView {
  constructor(root, config) {
    this.root = root;
    this.config = config;
    this.me = config.me.id;
    this.chat = config.chat.id;
    this.byKey = new Map(); // client_id (own) or "id:<id>" → message record
    this.byId = new Map();
    this.highestSeq = 0; // highest seq held with nothing missing below it
    this.oldestSeq = null;
    this.hasMore = false;
    this.loadingOlder = false;
    this.historyLoaded = false;
    this.deliveredSent = 0;
    this.readSent = 0;
    this.readPending = 0;
    this.deliveredPending = 0;
    this.visibleSeqs = new Set();
    this.lastTypingStart = 0;
    this.typingStopTimer = null;
    this.outbox = new Outbox(this.me);
    this.metrics = { enterToBubble: [], bubbles: {}, sentAt: {} };
    this.presence = new Map();
    this.render();
    const url = `${config.ws_url}/ws/chat/${this.chat}/?v=1&tz=${-new Date().getTimezoneOffset()}`;
    this.conn = new Connection(url, config.reconnect_backoff);
    this.conn.addEventListener("status", (e) => this.showStatus(e.detail));
    this.conn.addEventListener("frame", (e) => this.onFrame(e.detail));
    this.conn.start();
    document.addEventListener("visibilitychange", () => this.queueRead());
    for (const entry of this.outbox.forChat(this.chat)) this.addOwn(entry.client_id, entry.body, "pending");
  }

  // ---- DOM -------------------------------------------------------------------------------

  render() {
    const c = this.config.chat;
    this.presenceLine = el("div", { class: "tandem-presence", "aria-live": "polite" });
    this.statusBar = el("div", { class: "tandem-status", role: "status" });
    this.list = el("ol", { class: "tandem-messages", role: "log", "aria-live": "polite", "aria-label": "Messages" });
    this.typingLine = el("div", { class: "tandem-typing", "aria-live": "polite" });
    this.input = el("textarea", {
      class: "tandem-input",
      rows: "1",
      placeholder: "Message",
      "aria-label": "Message",
      maxlength: String(this.config.limits.max_body_chars),
    });
    const sendButton = el("button", { class: "tandem-send", type: "submit", "aria-label": "Send" }, "➤");
    this.form = el("form", { class: "tandem-compose" }, this.input, sendButton);
    this.root.append(
      el("header", { class: "tandem-header" }, el("h1", { class: "tandem-title" }, c.title), this.presenceLine),
      this.statusBar,
      this.list,
      this.typingLine,
      this.form,
    );
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.sendFromInput();
    });
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) {
        e.preventDefault();
        this.sendFromInput();
      }
    });
    this.input.addEventListener("input", () => this.onKeystroke());
    this.list.addEventListener("scroll", () => {
      if (this.list.scrollTop < 40) this.loadOlder();
    });
    this.observer = new IntersectionObserver((entries) => this.onVisible(entries), { root: this.list, threshold: 0.6 });
  }

  showStatus({ state, retryIn }) {
    const bar = this.statusBar;
    bar.dataset.state = state;
    bar.replaceChildren();
    clearInterval(this.countdown);
    if (state === "connected") {
      bar.append("Connected");
      return;
    }
    if (state === "reconnecting" && retryIn !== undefined) {
      const until = Date.now() + retryIn;
      const tick = () => {
        bar.textContent = `Reconnecting in ${Math.max(0, Math.ceil((until - Date.now()) / 1000))} s…`;
      };
      tick();
      this.countdown = setInterval(tick, 250);
      return;
    }
    if (state === "offline") {
      bar.append("Offline. ", el("button", { type: "button", onclick: () => this.conn.retryNow() }, "Retry"));
      return;
    }
    if (state === "logged_out") {
      bar.append("Your session ended. ", el("a", { href: this.config.login_url }, "Log in again"));
      return;
    }
    bar.append(state === "connecting" ? "Connecting…" : "Reconnecting…");
  }

  tickElement(status) {
    const tick = this.config.ticks[status];
    return el("span", { class: `tandem-tick ${tick.icon}`, role: "img", "aria-label": tick.label, title: tick.label });
  }

  bubble(record) {
    const mine = record.sender === this.me;
    const meta = el("span", { class: "tandem-meta" }, el("time", {}, record.created_at ? clock(record.created_at) : ""));
    if (mine) meta.append(this.tickElement(record.status));
    const body = el("div", { class: "tandem-body" }, record.body);
    const li = el("li", { class: `tandem-message ${mine ? "mine" : "theirs"}`, "data-client-id": record.client_id });
    if (!mine && this.config.chat.is_group) li.append(el("div", { class: "tandem-author" }, this.nameOf(record.sender)));
    li.append(body, meta);
    if (record.status === "failed") {
      li.append(el("button", { type: "button", class: "tandem-retry", onclick: () => this.retry(record) }, "Retry"));
    }
    if (mine && this.config.chat.is_group && record.seq) {
      li.tabIndex = 0;
      li.setAttribute("aria-label", "Message info");
      li.addEventListener("click", () => this.showInfo(record));
      li.addEventListener("keydown", (e) => e.key === "Enter" && this.showInfo(record));
    }
    if (record.seq) li.dataset.seq = String(record.seq);
    return li;
  }

  redraw(record) {
    const fresh = this.bubble(record);
    if (record.el) {
      record.el.replaceWith(fresh);
      if (!record.mine) this.observer.unobserve(record.el);
    }
    record.el = fresh;
    if (!record.mine && record.seq) this.observer.observe(fresh);
  }

  nameOf(user) {
    return this.config.chat.members[String(user)] || `user ${user}`;
  }

  place(record) {
    // Messages are ordered by seq; pending ones (no seq yet) stay at the end.
    this.redraw(record);
    if (record.seq) {
      for (const node of this.list.children) {
        const seq = Number(node.dataset.seq || Infinity);
        if (seq > record.seq) {
          this.list.insertBefore(record.el, node);
          return;
        }
      }
    }
    this.list.append(record.el);
  }

  scrollToEnd() {
    this.list.scrollTop = this.list.scrollHeight;
  }

  // ---- frames ------------------------------------------------------------------------------

  onFrame(frame) {
    switch (frame.type) {
      case "hello":
        return this.onHello();
      case "history":
        return this.onHistory(frame);
      case "sync":
        return this.onSync(frame);
      case "message":
        return this.onMessage(frame);
      case "ack":
        return this.onAck(frame);
      case "status":
        return this.onStatus(frame);
      case "typing":
        return this.onTyping(frame);
      case "presence":
        return this.onPresence(frame);
      case "error":
        return this.onError(frame);
      default:
        return undefined;
    }
  }

  onHello() {
    if (!this.historyLoaded) this.conn.send({ type: "history" });
    else this.conn.send({ type: "sync", after: this.highestSeq });
    this.flushOutbox();
  }

  adopt(m) {
    // A stored message from the server: new, or the server's copy of one shown already.
    const key = m.sender === this.me ? m.client_id : `id:${m.id}`;
    let record = this.byKey.get(key) || this.byId.get(m.id);
    if (record && record.seq) {
      if (m.status) this.upgrade(record, m.status);
      return record;
    }
    const status = m.status || (m.sender === this.me ? "sent" : null);
    if (!record) {
      record = { ...m, mine: m.sender === this.me, status };
      this.byKey.set(key, record);
      if (!record.mine) this.metrics.bubbles[m.client_id] = now();
    } else {
      Object.assign(record, m, { status: RANK[status] > RANK[record.status] ? status : record.status });
      clearTimeout(record.retryTimer);
    }
    this.byId.set(m.id, record);
    this.place(record);
    if (this.oldestSeq === null || m.seq < this.oldestSeq) this.oldestSeq = m.seq;
    return record;
  }

  advanceHighest() {
    while (this.list.querySelector(`[data-seq="${this.highestSeq + 1}"]`)) this.highestSeq += 1;
  }

  onHistory(frame) {
    const keep = this.list.scrollHeight - this.list.scrollTop;
    const first = !this.historyLoaded;
    for (const m of frame.messages) this.adopt(m);
    this.hasMore = frame.has_more;
    this.loadingOlder = false;
    if (first) {
      this.historyLoaded = true;
      this.highestSeq = frame.messages.length ? frame.messages[frame.messages.length - 1].seq : 0;
      this.scrollToEnd();
      this.ackDelivered(this.highestSeq);
    } else {
      this.list.scrollTop = this.list.scrollHeight - keep; // the reader stays where they were
    }
  }

  onSync(frame) {
    if (frame.reload) {
      this.list.replaceChildren();
      this.byKey.clear();
      this.byId.clear();
      this.historyLoaded = false;
      this.oldestSeq = null;
      this.conn.send({ type: "history" });
      return;
    }
    for (const m of frame.messages) this.adopt(m);
    this.advanceHighest();
    if (!frame.more) this.ackDelivered(this.highestSeq);
    this.scrollToEnd();
  }

  onMessage(m) {
    if (m.chat !== this.chat) return;
    const atEnd = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 60;
    this.adopt(m);
    this.advanceHighest();
    if (m.seq > this.highestSeq + 1) {
      // A gap (a message whose announcement was lost): ask for it.
      this.conn.send({ type: "sync", after: this.highestSeq });
    }
    if (m.sender !== this.me) this.ackDelivered(m.seq);
    if (atEnd || m.sender === this.me) this.scrollToEnd();
  }

  onAck(ack) {
    const record = this.byKey.get(ack.client_id);
    this.outbox.remove(ack.client_id);
    if (!record) return;
    clearTimeout(record.retryTimer);
    this.adopt({ ...ack, sender: this.me, body: record.body }); // the ack says "sent"
  }

  onStatus(frame) {
    if (frame.chat !== this.chat) return;
    for (const record of this.byKey.values()) {
      if (record.mine && record.seq && record.seq <= frame.upto) this.upgrade(record, frame.status);
    }
  }

  upgrade(record, status) {
    // Ticks only move forward (the core's rule): a late "delivered" after "read" is nothing.
    // Pending and failed rank 0, so any server step lifts them.
    if (RANK[status] <= RANK[record.status]) return;
    record.status = status;
    this.redraw(record);
  }

  onError(error) {
    const record = error.ref ? this.byKey.get(error.ref) : null;
    if (!record || record.seq) return;
    clearTimeout(record.retryTimer);
    if (error.retry_after !== undefined) {
      this.scheduleResend(record, Math.max(error.retry_after * 1000, 100));
    } else {
      this.fail(record);
    }
  }

  onTyping(frame) {
    if (frame.chat !== this.chat) return;
    this.typingLine.replaceChildren();
    if (!frame.users.length) return;
    this.typingLine.append(
      el("span", { class: "tandem-typing-text" }, frame.text.replace(/…$/, "")),
      el("span", { class: "tandem-dots", "aria-hidden": "true" }, el("i"), el("i"), el("i")),
    );
  }

  onPresence(frame) {
    for (const user of frame.users) this.presence.set(user.user, user);
    const others = [...this.presence.values()];
    this.presenceLine.replaceChildren();
    if (!this.config.chat.is_group && others.length) {
      const p = others[0];
      this.presenceLine.append(el("span", { class: `tandem-dot ${p.online ? "online" : ""}` }), p.text);
    } else {
      const online = others.filter((p) => p.online).map((p) => this.nameOf(p.user));
      this.presenceLine.append(online.length ? `${online.join(", ")} online` : "");
    }
  }

  // ---- sending -----------------------------------------------------------------------------

  sendFromInput() {
    const body = this.input.value;
    if (!body.trim()) return;
    const started = now();
    this.input.value = "";
    const clientId = newClientId();
    this.addOwn(clientId, body, "pending");
    this.metrics.enterToBubble.push(now() - started);
    this.metrics.sentAt[clientId] = started;
    clearTimeout(this.typingStopTimer);
    this.lastTypingStart = 0;
    this.deliver(this.byKey.get(clientId));
  }

  addOwn(clientId, body, status) {
    const record = { client_id: clientId, body, sender: this.me, mine: true, status, attempts: 0, chat: this.chat };
    this.byKey.set(clientId, record);
    this.place(record);
    this.scrollToEnd();
    return record;
  }

  deliver(record) {
    record.attempts += 1;
    const frame = { type: "send", client_id: record.client_id, body: record.body };
    if (this.conn.send(frame)) {
      // No ack in time: resend (same client_id, so never stored twice), then give up.
      this.scheduleResend(record, ACK_TIMEOUT_MS);
      return;
    }
    this.sendOverHttp(record);
  }

  scheduleResend(record, waitMs) {
    clearTimeout(record.retryTimer);
    record.retryTimer = setTimeout(() => {
      const delay = backoffDelay(this.config.message_retry_backoff, record.attempts);
      if (delay === null) return this.fail(record);
      record.retryTimer = setTimeout(() => this.deliver(record), delay);
      return undefined;
    }, waitMs);
  }

  async sendOverHttp(record) {
    try {
      const response = await fetch(`${this.config.api}chats/${this.chat}/messages/`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": this.config.csrf_token },
        body: JSON.stringify({ client_id: record.client_id, body: record.body }),
        credentials: "same-origin",
      });
      if (response.ok) {
        this.onAck(await response.json());
        return;
      }
      if (response.status >= 500) throw new Error(`HTTP ${response.status}`);
      this.fail(record);
    } catch {
      // Neither path works: keep it for when the connection returns.
      this.outbox.put({ client_id: record.client_id, body: record.body, chat: this.chat });
    }
  }

  flushOutbox() {
    for (const entry of this.outbox.forChat(this.chat)) {
      const record = this.byKey.get(entry.client_id) || this.addOwn(entry.client_id, entry.body, "pending");
      if (!record.seq) {
        record.attempts = 0;
        this.deliver(record);
      }
    }
  }

  fail(record) {
    clearTimeout(record.retryTimer);
    record.status = "failed";
    this.redraw(record);
  }

  retry(record) {
    record.status = "pending";
    record.attempts = 0;
    this.redraw(record);
    this.deliver(record);
  }

  // ---- receipts and typing -----------------------------------------------------------------

  ackDelivered(seq) {
    if (seq <= this.deliveredSent) return;
    this.deliveredPending = Math.max(this.deliveredPending, seq);
    clearTimeout(this.deliveredTimer);
    // Batched: one frame for the highest seq received in a burst.
    this.deliveredTimer = setTimeout(() => {
      if (this.deliveredPending > this.deliveredSent && this.conn.send({ type: "delivered", upto: this.deliveredPending }))
        this.deliveredSent = this.deliveredPending;
    }, 100);
  }

  onVisible(entries) {
    for (const entry of entries) {
      const seq = Number(entry.target.dataset.seq);
      if (entry.isIntersecting) this.visibleSeqs.add(seq);
      else this.visibleSeqs.delete(seq);
    }
    this.queueRead();
  }

  queueRead() {
    if (document.visibilityState !== "visible" || !this.visibleSeqs.size) return;
    this.readPending = Math.max(this.readPending, ...this.visibleSeqs);
    clearTimeout(this.readTimer);
    this.readTimer = setTimeout(() => {
      if (this.readPending > this.readSent && this.conn.send({ type: "read", upto: this.readPending }))
        this.readSent = this.readPending;
    }, 300);
  }

  onKeystroke() {
    const t = Date.now();
    const policy = this.config.typing;
    if (t - this.lastTypingStart >= policy.start_interval_ms / 2) {
      this.conn.send({ type: "typing", state: "start" });
      this.lastTypingStart = t;
    }
    clearTimeout(this.typingStopTimer);
    this.typingStopTimer = setTimeout(() => {
      this.conn.send({ type: "typing", state: "stop" });
      this.lastTypingStart = 0;
    }, policy.client_idle_stop_ms);
  }

  // ---- history and message info ------------------------------------------------------------

  loadOlder() {
    if (!this.hasMore || this.loadingOlder || this.oldestSeq === null) return;
    if (this.conn.send({ type: "history", before: this.oldestSeq })) this.loadingOlder = true;
  }

  async showInfo(record) {
    const response = await fetch(`${this.config.api}chats/${this.chat}/messages/${record.seq}/info/`, {
      credentials: "same-origin",
    });
    if (!response.ok) return;
    const info = await response.json();
    const rows = info.members.map((m) =>
      el(
        "li",
        {},
        el("strong", {}, this.nameOf(m.user)),
        ` delivered ${m.delivered_at ? clock(m.delivered_at) : "—"}, read ${m.read_at ? clock(m.read_at) : "—"}`,
      ),
    );
    const dialog = el(
      "dialog",
      { class: "tandem-info", "aria-label": "Message info" },
      el("h2", {}, "Message info"),
      el("p", {}, record.body),
      el("ul", {}, ...rows),
      el("button", { type: "button", onclick: () => dialog.close() }, "Close"),
    );
    dialog.addEventListener("close", () => dialog.remove());
    this.root.append(dialog);
    dialog.showModal();
  }
}

export function startChat(root, config) {
  const view = new ChatView(root, config);
  window.tandemChat = view; // for the browser tests and the console
  return view;
}
