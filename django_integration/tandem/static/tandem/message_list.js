// The conversation's message list: bubbles in seq order (unsent ones last), ticks updated in
// place, date separators, the "N unread messages" marker, the scroll-to-bottom button with a
// count, infinite scroll upwards, and read reports for what is actually on screen.
import { displayName } from "./display_name.js";
import { el, linkified } from "./element.js";
import { dayKey, dayLabel, fullTime, shortTime } from "./time_format.js";

const NEAR_END_PX = 80;

export class MessageList {
  constructor(scroller, ol, { client, config, view }) {
    Object.assign(this, { scroller, ol, client, config, view });
    this.chat = config.chat.id;
    this.nodes = new Map(); // record → li
    this.visibleSeqs = new Set();
    this.unseen = 0;
    this.readUptoAtOpen = Math.max(config.chat.read_upto ?? 0, client.readUpto(config.chat.id));
    this.markerPlaced = false;
    this.toBottom = el("button", { type: "button", class: "tandem-to-bottom", hidden: true, "aria-label": "Scroll to the newest message", onclick: () => this.scrollToEnd() }, "↓", el("span", { class: "tandem-unseen" }));
    scroller.after(this.toBottom);
    this.observer = new IntersectionObserver((entries) => this.onVisible(entries), { root: scroller, threshold: 0.6 });
    scroller.addEventListener("scroll", () => this.onScroll());
  }

  destroy() {
    this.observer.disconnect();
    this.toBottom.remove();
  }

  // ---- placing bubbles ---------------------------------------------------------------------

  place(record) {
    const wasNearEnd = this.nearEnd();
    let li = this.nodes.get(record);
    const fresh = !li;
    if (fresh) {
      li = this.bubble(record);
      this.nodes.set(record, li);
    } else {
      this.update(li, record);
    }
    if (fresh || (record.seq && li.dataset.seq !== String(record.seq))) this.insert(li, record);
    if (record.seq && !record.mine && fresh) this.observer.observe(li);
    if (fresh && !record.mine && record.seq && this.client.store(this.chat).firstPageLoaded) {
      if (wasNearEnd) this.scrollToEnd();
      else this.countUnseen();
    }
  }

  insert(li, record) {
    if (record.seq) li.dataset.seq = String(record.seq);
    let before = null;
    if (record.seq) {
      for (const node of this.ol.querySelectorAll(".tandem-message")) {
        if (!node.dataset.seq || Number(node.dataset.seq) > record.seq) {
          before = node;
          break;
        }
      }
    }
    this.ol.insertBefore(li, before);
    this.separate();
  }

  bubble(record) {
    const mine = record.mine;
    const li = el("li", { class: `tandem-message ${mine ? "mine" : "theirs"}`, "data-client-id": record.client_id });
    if (!mine && this.config.chat.is_group) li.append(el("div", { class: "tandem-author" }, displayName(this.config, record.sender)));
    li.append(el("div", { class: "tandem-body" }, ...linkified(record.body)));
    const time = el("time", {});
    li.append(el("span", { class: "tandem-meta" }, time, mine ? el("span", { class: "tandem-tick", role: "img" }) : null));
    this.update(li, record);
    return li;
  }

  update(li, record) {
    // In place: the body is not re-rendered, so a tick change is not a new message to a screen
    // reader.
    const time = li.querySelector("time");
    if (record.created_at && !time.dateTime) {
      time.dateTime = new Date(record.created_at).toISOString();
      time.textContent = shortTime(record.created_at);
      time.title = fullTime(record.created_at);
    }
    li.dataset.day = record.created_at ? dayKey(record.created_at) : "";
    li.dataset.at = record.created_at ?? "";
    const tick = li.querySelector(".tandem-tick");
    if (tick) {
      const status = record.status === "pending" ? "pending" : record.status;
      const t = this.config.ticks[status] ?? this.config.ticks.pending;
      const label = record.status === "failed" && record.error ? `${t.label}: ${record.error}` : t.label;
      tick.className = `tandem-tick ${t.icon}`;
      tick.setAttribute("aria-label", label);
      tick.title = label;
    }
    li.querySelector(".tandem-failed")?.remove();
    if (record.status === "failed") {
      const failure = el("div", { class: "tandem-failed" }, record.error || "Not sent");
      failure.append(" ", el("button", { type: "button", class: "tandem-retry", onclick: () => this.client.retry(this.chat, record.client_id) }, "Retry"));
      li.append(failure);
    }
    if (record.mine && record.seq && this.config.chat.is_group && !li.hasAttribute("tabindex")) {
      li.tabIndex = 0;
      li.setAttribute("aria-haspopup", "dialog");
      li.addEventListener("click", () => this.showInfo(record));
      li.addEventListener("keydown", (e) => e.key === "Enter" && this.showInfo(record));
    }
  }

  separate() {
    // Date separators before the first message of each day, rebuilt after an insert (the
    // list holds at most a few hundred messages).
    for (const node of this.ol.querySelectorAll(".tandem-date")) node.remove();
    let previous = null;
    for (const node of this.ol.querySelectorAll(".tandem-message")) {
      const day = node.dataset.day;
      if (day && day !== previous) {
        node.before(el("li", { class: "tandem-date" }, el("span", {}, dayLabel(Number(node.dataset.at)))));
      }
      if (day) previous = day;
    }
  }

  clear() {
    this.ol.replaceChildren();
    this.nodes.clear();
    this.visibleSeqs.clear();
  }

  // ---- history -----------------------------------------------------------------------------

  onHistory({ first }) {
    this.ol.querySelector(".tandem-load-failed")?.remove();
    if (first) {
      this.scroller.setAttribute("aria-busy", "false");
      const marker = this.placeUnreadMarker();
      if (marker) marker.scrollIntoView({ block: "start" });
      else this.scrollToEnd();
    } else {
      this.scroller.scrollTop = this.scroller.scrollHeight - this.keepFromBottom; // the reader stays put
    }
  }

  onHistoryFailed({ first, failure }) {
    if (!first) return; // scrolling up again retries
    this.ol.querySelector(".tandem-load-failed")?.remove();
    this.ol.prepend(el("li", { class: "tandem-load-failed" }, `Messages could not be loaded (${failure.message || failure.code}). `,
      el("button", { type: "button", onclick: () => this.client.openChat(this.chat) }, "Try again")));
  }

  placeUnreadMarker() {
    if (this.markerPlaced) return null;
    this.markerPlaced = true;
    const unread = [...this.nodes.keys()].filter((r) => !r.mine && r.seq > this.readUptoAtOpen).sort((a, b) => a.seq - b.seq);
    if (!unread.length || this.readUptoAtOpen === 0 && unread.length === this.nodes.size) return null;
    const first = this.nodes.get(unread[0]);
    const marker = el("li", { class: "tandem-unread-marker" }, `${unread.length} unread message${unread.length === 1 ? "" : "s"}`);
    first.before(marker);
    return marker;
  }

  onScroll() {
    if (this.scroller.scrollTop < 40) {
      this.keepFromBottom = this.scroller.scrollHeight - this.scroller.scrollTop;
      this.client.loadOlder(this.chat);
    }
    if (this.nearEnd()) {
      this.unseen = 0;
      this.toBottom.hidden = true;
    } else {
      this.toBottom.hidden = false;
      this.renderUnseen();
    }
  }

  nearEnd() {
    return this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < NEAR_END_PX;
  }

  scrollToEnd() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.unseen = 0;
    this.toBottom.hidden = true;
  }

  countUnseen() {
    this.unseen += 1;
    this.toBottom.hidden = false;
    this.renderUnseen();
  }

  renderUnseen() {
    const badge = this.toBottom.querySelector(".tandem-unseen");
    badge.textContent = this.unseen ? String(this.unseen) : "";
    this.toBottom.setAttribute("aria-label", this.unseen ? `Scroll to the newest message, ${this.unseen} new` : "Scroll to the newest message");
  }

  // ---- read receipts -----------------------------------------------------------------------

  onVisible(entries) {
    for (const entry of entries) {
      const seq = Number(entry.target.dataset.seq);
      if (entry.isIntersecting) this.visibleSeqs.add(seq);
      else this.visibleSeqs.delete(seq);
    }
    this.reportRead();
  }

  reportRead() {
    if (document.visibilityState !== "visible" || !this.visibleSeqs.size) return;
    this.client.markRead(this.chat, Math.max(...this.visibleSeqs));
  }

  // ---- message info (groups) ---------------------------------------------------------------

  async showInfo(record) {
    // Through the client's HTTP path: it names the page's user, and a 401 is handled as any.
    const info = await this.client.http?.({ type: "info", chat: this.chat, seq: record.seq }).catch(() => null);
    if (!info) return;
    const when = (ms) => (ms ? shortTime(ms) : "—");
    const rows = info.members.map((m) => el("li", {}, el("strong", {}, displayName(this.config, m.user)), ` delivered ${when(m.delivered_at)}, read ${when(m.read_at)}`));
    const dialog = el("dialog", { class: "tandem-info", "aria-labelledby": "tandem-info-title" },
      el("h2", { id: "tandem-info-title" }, "Message info"), el("p", {}, record.body), el("ul", {}, ...rows),
      el("button", { type: "button", onclick: () => dialog.close() }, "Close"));
    dialog.addEventListener("close", () => dialog.remove());
    this.view.root.append(dialog);
    dialog.showModal();
  }
}
