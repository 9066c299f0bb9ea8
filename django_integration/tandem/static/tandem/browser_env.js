// What the headless core needs from the browser, in one place: WebSocket, a clock, fetch for
// the HTTP views, IndexedDB and Web Locks for the outbox, and the page's hints (online,
// offline, visible again) that make a waiting connection try at once.
import { httpFallback } from "./core/http_fallback.js";
import { IdbStorage } from "./core/idb_storage.js";
import { MemoryStorage, Outbox } from "./core/outbox.js";

function newClientId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return "c-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function browserEnv(config) {
  const storage = typeof indexedDB === "undefined" ? new MemoryStorage() : new IdbStorage(indexedDB, `tandem-outbox-${config.me.id}`);
  return {
    createSocket: (url) => new WebSocket(url),
    clock: { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (id) => clearTimeout(id) },
    random: Math.random,
    http: httpFallback({
      fetch: (...args) => fetch(...args),
      api: config.api,
      csrfToken: config.csrf_token,
      user: config.me.id,
      limitMs: config.client?.httpTimeoutMs,
    }),
    outbox: new Outbox({ storage, locks: navigator.locks, name: `tandem-outbox-${config.me.id}` }),
    newClientId,
  };
}

/** Connects the page's events to the client. */
export function followPageHints(client) {
  window.addEventListener("online", () => client.wake());
  window.addEventListener("offline", () => client.offline());
  document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && client.wake());
  window.addEventListener("pageshow", (event) => event.persisted && client.wake());
  window.addEventListener("pagehide", (event) => !event.persisted && client.stop());
}
