// Messages written while neither the socket nor the HTTP fallback could take them, kept in
// localStorage (per user) so a reload or a closed tab loses nothing; flushed in order, with
// their original client_ids, so the server stores each exactly once.
export class Outbox {
  constructor(userId) {
    this.key = `tandem.outbox.${userId}`;
  }

  all() {
    try {
      return JSON.parse(localStorage.getItem(this.key) || "[]");
    } catch {
      return [];
    }
  }

  put(entry) {
    const entries = this.all().filter((e) => e.client_id !== entry.client_id);
    entries.push(entry);
    localStorage.setItem(this.key, JSON.stringify(entries));
  }

  remove(clientId) {
    localStorage.setItem(this.key, JSON.stringify(this.all().filter((e) => e.client_id !== clientId)));
  }

  forChat(chat) {
    return this.all().filter((e) => e.chat === chat);
  }
}
