// Messages the user wrote that the server has not acknowledged, in durable storage (IndexedDB
// in the browser), written before the first send so a closed tab or a crash loses nothing, and
// removed on the ack or a permanent refusal. Flushing is claimed with a Web Lock, so of several
// tabs only one resends the backlog at a time; resending is safe anyway because the server
// stores a client_id once.
export class Outbox {
  /**
   * @param {object} o
   * @param {{put, remove, all, clear}} o.storage  async key-value storage of entries by client_id
   * @param {{request(name, options, callback)}} [o.locks]  navigator.locks, if the browser has it
   * @param {string} o.name  the lock's name (per user)
   */
  constructor({ storage, locks, name }) {
    Object.assign(this, { storage, locks, name });
  }

  put(entry) {
    return this.storage.put(entry);
  }

  remove(clientId) {
    return this.storage.remove(clientId);
  }

  async all() {
    const entries = await this.storage.all();
    return entries.sort((a, b) => a.created_at - b.created_at);
  }

  clear() {
    return this.storage.clear();
  }

  /**
   * Runs flush(entries) in at most one tab at a time; a tab that finds the claim taken skips
   * (the holder is sending the same entries). Resolves with whether this tab flushed.
   */
  async claim(flush) {
    if (!this.locks) {
      await flush(await this.all());
      return true;
    }
    return this.locks.request(this.name, { ifAvailable: true }, async (lock) => {
      if (!lock) return false;
      await flush(await this.all());
      return true;
    });
  }
}

/** Storage for tests and for browsers without IndexedDB (a private window may refuse it). */
export class MemoryStorage {
  constructor() {
    this.entries = new Map();
  }

  async put(entry) {
    this.entries.set(entry.client_id, { ...entry });
  }

  async remove(clientId) {
    this.entries.delete(clientId);
  }

  async all() {
    return [...this.entries.values()].map((e) => ({ ...e }));
  }

  async clear() {
    this.entries.clear();
  }
}
