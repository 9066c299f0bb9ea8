// In-memory stand-ins for the browser around the client core: a clock that only moves when a
// test says so, and a fake sidecar whose sockets behave like WebSocket objects (onopen,
// onmessage, onclose, readyState), so tests read as conversations with a server.
export class FakeClock {
  constructor(start = 1_000_000) {
    this.t = start;
    this.timers = new Map();
    this.nextId = 1;
  }

  now() {
    return this.t;
  }

  setTimeout(fn, ms = 0) {
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(id) {
    this.timers.delete(id);
  }

  /** Runs every timer due within ms, in time order, including ones they schedule. */
  advance(ms) {
    const end = this.t + ms;
    for (;;) {
      let next = null;
      for (const [id, timer] of this.timers) if (timer.at <= end && (!next || timer.at < next[1].at)) next = [id, timer];
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }

  pending() {
    return [...this.timers.values()].map((t) => t.at - this.t).sort((a, b) => a - b);
  }
}

export class FakeSocket {
  constructor(server, url) {
    this.server = server;
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    this.closedWith = null;
  }

  send(text) {
    if (this.readyState !== 1) throw new Error("send on a socket that is not open");
    const frame = JSON.parse(text);
    this.sent.push(frame);
    this.server.received.push(frame);
    this.server.onFrame?.(frame, this);
  }

  close(code = 1000) {
    this.closedWith = code;
    this.readyState = 3;
  }

  // ---- what the server does to this socket ----
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }

  deliver(frame) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  serverClose(code = 1006, reason = "") {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

export class FakeServer {
  constructor({ heartbeat = 30 } = {}) {
    this.heartbeat = heartbeat;
    this.sockets = [];
    this.received = [];
    this.onFrame = null;
  }

  createSocket = (url) => {
    const socket = new FakeSocket(this, url);
    this.sockets.push(socket);
    return socket;
  };

  get last() {
    return this.sockets[this.sockets.length - 1];
  }

  /** Accepts the newest socket and greets it as the sidecar does. */
  accept({ heartbeat = this.heartbeat, user = 1 } = {}) {
    const socket = this.last;
    socket.open();
    socket.deliver({ type: "hello", v: 1, user_id: user, chat_id: null, connection: "x", heartbeat });
    return socket;
  }

  sentOfType(type) {
    return this.received.filter((f) => f.type === type);
  }
}

export const POLICY = { initial_ms: 1000, factor: 2, max_ms: 30000, jitter: 0.5, max_attempts: 5 };
export const MESSAGE_POLICY = { initial_ms: 1000, factor: 2, max_ms: 10000, jitter: 0.5, max_attempts: 3 };

/** AbortSignal.timeout replaced by signals the test expires at will (the clock of fetch limits):
 *  `limits` holds each asked limit, `expire(i)` times request i out, `restore()` puts it back. */
export function expirableTimeouts() {
  const real = AbortSignal.timeout;
  const limits = [];
  const controllers = [];
  AbortSignal.timeout = (ms) => {
    limits.push(ms);
    const controller = new AbortController();
    controllers.push(controller);
    return controller.signal;
  };
  return {
    limits,
    expire: (i) => controllers[i].abort(new DOMException("timed out", "TimeoutError")),
    restore: () => (AbortSignal.timeout = real),
  };
}

/** fetch against a server that never answers, as the real fetch behaves: the request rejects when
 *  its signal aborts. Each URL asked goes into `asked`. */
export function hangingFetch(asked = []) {
  return (url, { signal }) => {
    asked.push(url);
    return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
  };
}
