// The live chat list: rows the server rendered ([data-tandem-chat-row]) kept current from the
// client's events: last message preview ("You: ..." for one's own), its time, re-ordering by
// the newest message, unread badges (cleared when another tab reads the chat), who is typing,
// and the unread total in the document title.
import { displayName } from "./display_name.js";
import { el } from "./element.js";
import { listTime } from "./time_format.js";

export class ChatList {
  constructor(listNode, client, config) {
    Object.assign(this, { listNode, client, config });
    this.rows = new Map();
    for (const row of listNode.querySelectorAll("[data-tandem-chat-row]")) {
      const chat = Number(row.dataset.chat);
      const state = { row, lastSeq: Number(row.dataset.lastSeq || 0), unread: Number(row.dataset.unread || 0), typing: false, preview: null, newUnread: [] };
      state.readUpto = state.lastSeq - state.unread; // approximate: unread ones are the newest
      this.rows.set(chat, state);
      // What the page shows has reached this device.
      if (state.unread) client.markDelivered(chat, state.lastSeq);
    }
    client.on("message", ({ chat, record }) => this.onMessage(chat, record));
    client.on("receipt", (frame) => this.onReceipt(frame));
    client.on("typing", (frame) => this.onTyping(frame));
    this.updateTitle();
  }

  onMessage(chat, record) {
    const s = this.rows.get(chat);
    if (!s) return; // a chat created after the page was rendered: shown on the next load
    if (record.seq) s.lastSeq = Math.max(s.lastSeq, record.seq);
    const prefix = record.mine ? "You: " : s.row.dataset.group === "1" ? `${displayName(this.config, record.sender)}: ` : "";
    s.preview = prefix + record.body;
    if (!s.typing) this.setText(s, ".tandem-row-preview", s.preview);
    this.setText(s, ".tandem-row-time", listTime(record.created_at ?? Date.now()));
    if (!record.mine && record.seq && !this.isOpenHere(chat)) {
      s.newUnread.push(record.seq);
      this.renderUnread(s);
    }
    // The newest conversation goes to the top.
    const item = s.row.closest("li") ?? s.row;
    if (item.parentNode && item.parentNode.firstElementChild !== item) item.parentNode.prepend(item);
  }

  onReceipt(frame) {
    if (frame.kind !== "read" || frame.user !== this.config.me.id) return;
    const s = this.rows.get(frame.chat);
    if (!s) return;
    s.readUpto = Math.max(s.readUpto, frame.upto);
    s.newUnread = s.newUnread.filter((seq) => seq > s.readUpto);
    if (s.readUpto >= s.lastSeq) s.unread = 0;
    this.renderUnread(s);
  }

  onTyping(frame) {
    const s = this.rows.get(frame.chat);
    if (!s) return;
    s.typing = frame.users.length > 0;
    const names = frame.users.map((u) => displayName(this.config, u.user));
    const text = names.length === 1 ? `${names[0]} is typing…` : `${names.join(", ")} are typing…`;
    s.row.classList.toggle("typing", s.typing);
    this.setText(s, ".tandem-row-preview", s.typing ? text : s.preview ?? s.row.querySelector(".tandem-row-preview").dataset.initial);
  }

  isOpenHere(chat) {
    return window.tandemChat?.chat === chat && document.visibilityState === "visible";
  }

  count(s) {
    return s.unread + s.newUnread.length;
  }

  renderUnread(s) {
    let badge = s.row.querySelector(".unread");
    const n = this.count(s);
    if (!n) {
      badge?.remove();
    } else {
      if (!badge) s.row.append((badge = el("span", { class: "unread" })));
      badge.textContent = String(n);
      badge.setAttribute("aria-label", `${n} unread`);
    }
    this.updateTitle();
  }

  updateTitle() {
    const total = [...this.rows.values()].reduce((sum, s) => sum + this.count(s), 0);
    const base = document.title.replace(/^\(\d+\)\s*/, ""); // the page may retitle itself (two panes)
    document.title = total ? `(${total}) ${base}` : base;
  }

  setText(s, selector, text) {
    const node = s.row.querySelector(selector);
    if (!node) return;
    node.dataset.initial ??= node.textContent;
    node.textContent = text;
  }
}
