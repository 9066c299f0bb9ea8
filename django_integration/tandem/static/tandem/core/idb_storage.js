// The outbox's storage in IndexedDB: one database per user, one object store keyed by
// client_id. Every call is its own transaction and resolves when it has committed, so "written
// before the first send" holds across a crash.
export class IdbStorage {
  constructor(indexedDB, dbName) {
    this.indexedDB = indexedDB;
    this.dbName = dbName;
    this.db = null;
  }

  #open() {
    this.db ??= new Promise((resolve, reject) => {
      const request = this.indexedDB.open(this.dbName, 1);
      request.onupgradeneeded = () => request.result.createObjectStore("outbox", { keyPath: "client_id" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return this.db;
  }

  async #run(mode, work) {
    const db = await this.#open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction("outbox", mode);
      const result = work(tx.objectStore("outbox"));
      tx.oncomplete = () => resolve(result?.result);
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
  }

  put(entry) {
    return this.#run("readwrite", (store) => store.put(entry));
  }

  remove(clientId) {
    return this.#run("readwrite", (store) => store.delete(clientId));
  }

  all() {
    return this.#run("readonly", (store) => store.getAll());
  }

  clear() {
    return this.#run("readwrite", (store) => store.clear());
  }
}
