// The live chat list: rows the server rendered ([data-tandem-chat-row]) kept current from the
// client's events: last message preview ("You: ..." for one's own), its time, re-ordering by
// the newest message, unread badges (cleared when another tab reads the chat), who is typing,
// and the unread total in the document title. A chat the page does not know yet (someone wrote
// first, or the user was added to a group) gets its row from the site and goes to the top.
import { fetchOrRefused, learnChat } from "./chat_directory.js";
import { displayName } from "./display_name.js";
import { el } from "./element.js";
import { listTime } from "./time_format.js";

/** Live messages kept for a row being fetched (a row shows the last one and a count). */
const MISSED_LIMIT = 200;

/** Chats fetched at once (each is two requests). */
const FETCHES_AT_ONCE = 2;

/** Runs at most `size` tasks at a time, the others waiting in order. */
export class Limit {
  constructor(size) {
    this.size = size;
    this.running = 0;
    this.waiting = [];
  }

  async run(task) {
    if (this.running >= this.size) await new Promise((go) => this.waiting.push(go));
    this.running += 1;
    try {
      return await task();
    } finally {
      this.running -= 1;
      this.waiting.shift()?.();
    }
  }
}

export class ChatList {
  constructor(listNode, client, config) {
    Object.assign(this, { listNode, client, config });
    this.rows = new Map();
    this.adopting = new Map(); // chat → {missed: live records, readUpto} while its row is fetched
    this.unlisted = new Set(); // chats refused (by the API or the site): not asked for again
    this.fetching = new Limit(FETCHES_AT_ONCE);
    for (const row of listNode.querySelectorAll("[data-tandem-chat-row]")) this.track(row);
    client.on("message", ({ chat, record }) => this.onMessage(chat, record));
    client.on("resync", (frame) => frame.reason === "chat_joined" && this.adopt(frame.chat));
    client.on("receipt", (frame) => this.onReceipt(frame));
    client.on("typing", (frame) => this.onTyping(frame));
    this.updateTitle();
  }

  track(row) {
    const chat = Number(row.dataset.chat);
    const state = { row, lastSeq: Number(row.dataset.lastSeq || 0), unread: Number(row.dataset.unread || 0), typing: false, preview: null, newUnread: [] };
    state.readUpto = state.lastSeq - state.unread; // approximate: unread ones are the newest
    this.rows.set(chat, state);
    // What the page shows has reached this device.
    if (state.unread) this.client.markDelivered(chat, state.lastSeq);
    return state;
  }

  /** A chat the page was rendered without: its configuration from Tandem's API (learnChat: names,
   *  title, so the conversation opens in place) and its row from the site (`row_url`, the site's
   *  own markup), put first. One fetch at a time per chat, each given up after
   *  chat_directory's FETCH_LIMIT_MS.
   *  A chat refused (the API's 403 `forbidden`: removed meanwhile) or without a row (404 from
   *  the site, or no `row_url`) is not asked for again; one not answered (offline, a 5xx, another
   *  status, a redirect from the site to its login page) is tried again with the chat's next
   *  event. The API's 401 (or its redirect) asks Django about the session, as the client's
   *  requests do: the page is logged out if it ended. */
  async adopt(chat, record = null) {
    if (typeof chat !== "number" || this.rows.has(chat) || this.unlisted.has(chat)) return;
    const waiting = this.adopting.get(chat);
    if (waiting) {
      if (record && waiting.missed.length < MISSED_LIMIT) waiting.missed.push(record);
      return;
    }
    const pending = { missed: record ? [record] : [], readUpto: 0 };
    const missed = pending.missed;
    this.adopting.set(chat, pending);
    try {
      // A few chats at a time: chats made in bulk for people online must not send every open
      // tab's requests at once.
      const [about, html] = await this.fetching.run(() => Promise.all([learnChat(this.config, chat, this.client.http), this.fetchRow(chat)]));
      if (!about) return void this.unlisted.add(chat); // not (or no longer) a member
      const row = html && this.rowFrom(html, chat);
      if (!row) return void this.unlisted.add(chat);
      this.listNode.querySelector("[data-tandem-empty]")?.remove();
      this.listNode.prepend(row.closest("li") ?? row);
      const s = this.track(row);
      // The row was rendered from the database: what it holds is shown, what came after goes on it.
      for (const late of missed) if (!late.seq || late.seq > s.lastSeq) this.onMessage(chat, late);
      // Read in another tab meanwhile: the badge follows, as for a listed chat.
      if (pending.readUpto) this.onReceipt({ kind: "read", user: this.config.me.id, chat, upto: pending.readUpto });
      this.updateTitle();
    } catch {
      // Not answered: the chat's next message or join tries again.
    } finally {
      this.adopting.delete(chat);
    }
  }

  async fetchRow(chat) {
    const [prefix, suffix] = this.config.row_url ?? [];
    if (prefix === undefined) return null;
    return (await fetchOrRefused(`${prefix}${chat}${suffix}`, "text/html", 404))?.text();
  }

  rowFrom(html, chat) {
    // Parsed in a <template> (nothing in it runs or loads while it is looked at); what makes the
    // markup safe to insert is the site's own escaping of titles and previews (and its CSP).
    const holder = document.createElement("template");
    holder.innerHTML = html;
    const row = holder.content.querySelector("[data-tandem-chat-row]");
    return row && Number(row.dataset.chat) === chat ? row : null;
  }

  onMessage(chat, record) {
    const s = this.rows.get(chat);
    if (!s) return void this.adopt(chat, record);
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
    const adopting = this.adopting.get(frame.chat);
    if (!s && adopting) adopting.readUpto = Math.max(adopting.readUpto, frame.upto);
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
    // Typing over: the newest live message, or what the row was rendered with.
    this.setText(s, ".tandem-row-preview", s.typing ? text : s.preview);
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

  /** Sets a part of the row; `text` null puts back what the row was rendered with (a typing
   *  stop may come first: the list may have missed its start, before the page or the row). */
  setText(s, selector, text) {
    const node = s.row.querySelector(selector);
    if (!node) return;
    node.dataset.initial ??= node.textContent;
    node.textContent = text ?? node.dataset.initial;
  }
}
