// One chat's messages as this tab knows them, ordered by seq: the server's copies, the user's
// own messages that have no seq yet, the highest seq held with nothing missing below it (the
// sync cursor) and whether the first history page has arrived (before it, a live message says
// nothing about gaps). Pure data: no timers, no I/O.

// Ticks only move forward (the core's rule); pending and failed rank 0, so any server step
// lifts them.
export const RANK = { pending: 0, failed: 0, sent: 1, delivered: 2, read: 3 };

export class ChatStore {
  constructor(chat, me) {
    this.chat = chat;
    this.me = me;
    this.records = new Map(); // client_id (own) or "id:<id>" → record
    this.bySeq = new Map();
    this.firstPageLoaded = false;
    this.highest = 0; // highest seq held with nothing missing below it
    this.lastSeq = 0; // highest seq seen at all
    this.oldest = null;
    this.hasMore = false;
  }

  keyOf(m) {
    return m.sender === this.me ? m.client_id : `id:${m.id}`;
  }

  /** A stored message from the server; returns the record if anything changed, else null. */
  adopt(m) {
    let record = this.records.get(this.keyOf(m)) ?? (m.seq ? this.bySeq.get(m.seq) : undefined);
    const mine = m.sender === this.me;
    if (record && record.seq) {
      return m.status && this.upgrade(record, m.status) ? record : null;
    }
    const status = m.status || (mine ? "sent" : null);
    if (!record) {
      record = { ...m, mine, status };
      this.records.set(this.keyOf(m), record);
    } else {
      const best = RANK[status] > RANK[record.status] ? status : record.status;
      Object.assign(record, m, { status: best === "failed" ? "sent" : best, error: undefined });
    }
    this.bySeq.set(record.seq, record);
    if (this.oldest === null || record.seq < this.oldest) this.oldest = record.seq;
    this.lastSeq = Math.max(this.lastSeq, record.seq);
    this.#advance();
    return record;
  }

  /** The user's own message before the server has it. */
  addOwn(clientId, body, status = "pending") {
    const existing = this.records.get(clientId);
    if (existing) return existing;
    const record = { client_id: clientId, body, sender: this.me, mine: true, status, chat: this.chat };
    this.records.set(clientId, record);
    return record;
  }

  own(clientId) {
    return this.records.get(clientId);
  }

  upgrade(record, status) {
    if (RANK[status] <= RANK[record.status]) return false;
    record.status = status;
    return true;
  }

  /** A history page; returns the records that changed. */
  applyHistory(frame) {
    const changed = frame.messages.map((m) => this.adopt(m)).filter(Boolean);
    if (!frame.before) {
      if (!this.firstPageLoaded) this.hasMore = frame.has_more;
      this.firstPageLoaded = true;
      // The newest page is complete below its top: everything older is not a gap but history.
      const top = frame.messages.length ? frame.messages[frame.messages.length - 1].seq : 0;
      this.highest = Math.max(this.highest, top);
      this.#advance();
    } else {
      this.hasMore = frame.has_more;
    }
    // The last page starts where this member's view starts (seq 1, or joined_seq with
    // history_from_join): nothing below its first message is missing.
    if (!frame.has_more && frame.messages.length) this.startAt(frame.messages[0].seq - 1);
    return changed;
  }

  /** A sync page; returns the records that changed. */
  applySync(frame) {
    const changed = frame.messages.map((m) => this.adopt(m)).filter(Boolean);
    // The server may answer from later than asked (history_from_join: from joined_seq), and says
    // so in `after`; seqs up to it are not this member's to miss, so waiting for them would be a
    // gap no sync can ever close.
    this.startAt(frame.after ?? 0);
    return changed;
  }

  /** Nothing at or below `seq` is missing: the cursor moves there, then over what is held. */
  startAt(seq) {
    if (!this.firstPageLoaded) return; // before the first page the cursor means nothing yet
    this.highest = Math.max(this.highest, seq);
    this.#advance();
  }

  /** My messages up to `upto` reached `status`; returns the records that changed. */
  applyStatus(status, upto) {
    const changed = [];
    for (const record of this.records.values()) {
      if (record.mine && record.seq && record.seq <= upto && this.upgrade(record, status)) changed.push(record);
    }
    return changed;
  }

  /** Something is missing between the gapless cursor and the newest seq seen. */
  hasGap() {
    return this.firstPageLoaded && this.lastSeq > this.highest;
  }

  /** In seq order, own messages without a seq at the end. */
  ordered() {
    const stored = [...this.bySeq.values()].sort((a, b) => a.seq - b.seq);
    const unsent = [...this.records.values()].filter((r) => !r.seq);
    return [...stored, ...unsent];
  }

  reset() {
    const unsent = [...this.records.values()].filter((r) => !r.seq);
    this.records = new Map(unsent.map((r) => [r.client_id, r]));
    this.bySeq.clear();
    this.firstPageLoaded = false;
    this.highest = 0;
    this.lastSeq = 0;
    this.oldest = null;
    this.hasMore = false;
  }

  #advance() {
    if (!this.firstPageLoaded) return;
    while (this.bySeq.has(this.highest + 1)) this.highest += 1;
  }
}
