// A TandemClient wired to the fakes: a fake sidecar, a manual clock, in-memory outbox storage
// shared by "tabs", a Web Locks stand-in and a scripted HTTP fallback.
import { TandemClient } from "../../django_integration/tandem/static/tandem/core/client.js";
import { MemoryStorage, Outbox } from "../../django_integration/tandem/static/tandem/core/outbox.js";
import { FakeClock, FakeServer, MESSAGE_POLICY, POLICY } from "./fakes.js";

export const ME = 1;
export const BOB = 2;

export class FakeLocks {
  held = new Set();

  async request(name, options, callback) {
    if (this.held.has(name)) return callback(null);
    this.held.add(name);
    try {
      return await callback({ name });
    } finally {
      this.held.delete(name);
    }
  }
}

export function makeClient({ storage = new MemoryStorage(), locks = new FakeLocks(), http, clock = new FakeClock(), server = new FakeServer(), maxChars = 4096 } = {}) {
  let n = 0;
  const config = {
    me: { id: ME, name: "Me" },
    ws_url: "ws://sidecar",
    reconnect_backoff: POLICY,
    message_retry_backoff: MESSAGE_POLICY,
    limits: { max_body_chars: maxChars },
    client: { graceMs: 5000 },
  };
  const outbox = new Outbox({ storage, locks, name: `tandem-outbox-${ME}` });
  const client = new TandemClient(config, {
    createSocket: server.createSocket,
    clock,
    random: () => 0.5,
    http,
    outbox,
    newClientId: () => `c-${clock.now()}-${++n}`,
  });
  const events = [];
  for (const type of ["records", "message", "reset", "history", "history_failed", "typing"]) {
    client.on(type, (detail) => events.push({ type, ...detail }));
  }
  return { client, clock, server, storage, events };
}

/** Lets promise callbacks (outbox writes, HTTP answers) run. */
export const settle = () => new Promise((resolve) => setImmediate(resolve));

export function message(seq, { chat = 10, sender = BOB, body = `m${seq}` } = {}) {
  return { type: "message", id: 1000 + seq, chat, seq, sender, client_id: `b-${seq}`, body, created_at: seq };
}

export function page(chat, seqs, { before = null, has_more = false } = {}) {
  return { type: "history", chat, before, has_more, messages: seqs.map((s) => ({ ...message(s, { chat }), type: undefined })) };
}
