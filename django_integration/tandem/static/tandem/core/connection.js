// One WebSocket's life as an explicit state machine (connecting → open → reconnecting …, offline
// while the browser says so), with the liveness rule the server announces in `hello`: a link
// that delivers nothing for heartbeat + grace is dead, even if the socket still looks open
// (a cut cable or a sleeping NAT never closes it). Time, randomness and the socket come in from
// outside, so the unit tests drive every transition deterministically.
import { reconnectDelay } from "./backoff.js";
import { Emitter } from "./emitter.js";

export const State = Object.freeze({
  idle: "idle",
  connecting: "connecting",
  open: "open",
  reconnecting: "reconnecting",
  offline: "offline",
  closed: "closed",
  loggedOut: "logged_out",
});

// Close codes after which reconnecting cannot help (docs/protocol.md, "Close codes").
const LOGGED_OUT = 4401;
const SERVICE_RESTART = 1012;
const POLICY_VIOLATION = 1008;
const OPEN = 1;
// A drain closes every socket of a process at once (1012): coming back within this window, at a
// random point, spreads the reconnect storm over the other processes.
const RESTART_SPREAD_MS = 1000;

export class Connection extends Emitter {
  /**
   * @param {object} o
   * @param {string} o.url
   * @param {(url: string) => object} o.createSocket  a WebSocket-like object (onopen/onmessage/onclose)
   * @param {object} o.clock  {now(), setTimeout(fn, ms), clearTimeout(id)}
   * @param {() => number} o.random  uniform in [0, 1)
   * @param {object} o.policy  the reconnect backoff policy
   * @param {number} o.graceMs  added to the server's heartbeat before the link counts as dead
   * @param {number} o.heartbeatMs  until `hello` says otherwise
   * @param {number} [o.user]  the user the page is for: a `hello` for anyone else is refused
   */
  constructor({ url, createSocket, clock, random = Math.random, policy, graceMs = 10000, heartbeatMs = 30000, user }) {
    super();
    Object.assign(this, { url, createSocket, clock, random, policy, graceMs, heartbeatMs, user });
    this.state = State.idle;
    this.ws = null;
    this.attempt = 0;
    this.retryTimer = null;
    this.pingTimer = null;
    this.deadTimer = null;
    this.lastInbound = 0;
    this.browserOffline = false;
    this.pings = 0;
  }

  // ---- commands (each idempotent) -----------------------------------------------------------

  connect() {
    if (this.state !== State.idle && this.state !== State.closed) return;
    this.attempt = 0;
    this.browserOffline ? this.#setState(State.offline) : this.#dial();
  }

  close() {
    if (this.state === State.closed) return;
    this.#stopTimers();
    this.#drop(1000);
    this.#setState(State.closed);
  }

  /** The browser came online or the page became visible: try now instead of waiting. */
  wake() {
    this.browserOffline = false;
    if (this.state === State.open) return this.#probe();
    if (this.state === State.reconnecting || this.state === State.offline) {
      this.clock.clearTimeout(this.retryTimer);
      this.attempt = 0;
      this.#dial();
    }
    return undefined;
  }

  /** Closed with 4401, yet Django says the page's user is still signed in (it gave the session
   *  a new key, as a password change does; the browser holds it): dial again with the new
   *  cookie. Only from the logged-out state. */
  resume() {
    if (this.state !== State.loggedOut) return;
    this.attempt = 0;
    // As connect(): the browser said it is offline, so wait for it to say it is back.
    this.browserOffline ? this.#setState(State.offline) : this.#dial();
  }

  /** Django answered 401 over HTTP: the page's user is not signed in in this browser any more
   *  (a session that ended while the socket was down, or someone else logged in meanwhile).
   *  Dialling again would only open a socket for nobody, or for that someone. */
  loggedOut(reason) {
    if (this.state === State.loggedOut || this.state === State.closed) return;
    this.#stopTimers();
    this.#drop(1000);
    this.#setState(State.loggedOut, { code: LOGGED_OUT, reason });
  }

  /** The browser says it lost the network: stop dialling until it comes back. */
  offline() {
    this.browserOffline = true;
    if (this.state === State.open) return this.#probe(); // it may still work (a VPN, a LAN)
    if (this.state === State.reconnecting || this.state === State.connecting) {
      this.clock.clearTimeout(this.retryTimer);
      this.#drop(1000);
      this.#setState(State.offline);
    }
    return undefined;
  }

  send(frame) {
    if (this.state !== State.open || !this.ws || this.ws.readyState !== OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  // ---- the socket ---------------------------------------------------------------------------

  #dial() {
    this.#drop(1000);
    this.#setState(this.attempt === 0 ? State.connecting : State.reconnecting);
    const ws = this.createSocket(this.url);
    this.ws = ws;
    ws.onmessage = (event) => ws === this.ws && this.#onMessage(event.data);
    ws.onclose = (event) => ws === this.ws && this.#onClose(event.code, event.reason);
    ws.onerror = () => {}; // a close event always follows
    // Opening counts as life: a server that accepts but never says hello is dead too.
    ws.onopen = () => ws === this.ws && this.#heard();
  }

  #onMessage(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return; // not JSON: not ours
    }
    this.#heard();
    if (frame.type === "hello") {
      if (this.user !== undefined && Number(frame.user_id) !== Number(this.user)) return this.#signedInAsAnother();
      if (Number(frame.heartbeat) > 0) this.heartbeatMs = Number(frame.heartbeat) * 1000;
      this.attempt = 0;
      this.#setState(State.open);
      this.#heard(); // re-arm with the server's heartbeat
    }
    if (frame.type === "pong" && frame.ref === "hb") return;
    this.emit("frame", frame);
  }

  #signedInAsAnother() {
    // The browser's cookie names another user now (this user logged out and someone logged in,
    // in another tab, while this tab's link was down, so its socket never heard the logout):
    // nothing of this page's user may go out under that name (its outbox, its receipts), nor
    // that user's chats come into this page. The page's user is logged out here.
    this.#stopTimers();
    this.#drop(1000);
    this.#setState(State.loggedOut, { code: LOGGED_OUT, reason: "another_user" });
  }

  #onClose(code, closeReason = "") {
    this.ws = null;
    this.#stopTimers();
    // The reason tells a re-check's 4401 ("session ended": the session may only have a new
    // key) from a final one (a logout's), docs/protocol.md "Close codes".
    if (code === LOGGED_OUT) return this.#setState(State.loggedOut, { code, closeReason });
    if (this.browserOffline) return this.#setState(State.offline, { code });
    // Flooding closed it: retrying at once would flood again, so wait the longest interval.
    if (code === POLICY_VIOLATION) this.attempt = Math.max(this.attempt, this.policy.max_attempts);
    const restart = code === SERVICE_RESTART && this.attempt === 0;
    return this.#scheduleRetry(restart ? Math.round(this.random() * RESTART_SPREAD_MS) : null, code);
  }

  #scheduleRetry(immediateMs, code) {
    this.attempt += 1;
    const delay = immediateMs ?? reconnectDelay(this.policy, this.attempt, this.random());
    this.#setState(State.reconnecting, { retryAt: this.clock.now() + delay, attempt: this.attempt, code });
    this.retryTimer = this.clock.setTimeout(() => this.#dial(), delay);
  }

  // ---- liveness -----------------------------------------------------------------------------

  #heard() {
    this.lastInbound = this.clock.now();
    this.clock.clearTimeout(this.pingTimer);
    this.clock.clearTimeout(this.deadTimer);
    // Ask for a sign of life half-way through the silence the server allows, so a healthy but
    // quiet link always has inbound traffic well before heartbeat + grace.
    this.pingTimer = this.clock.setTimeout(() => this.#ping(), this.heartbeatMs / 2);
    this.deadTimer = this.clock.setTimeout(() => this.#declareDead(), this.heartbeatMs + this.graceMs);
  }

  #ping() {
    if (this.send({ type: "ping", ref: "hb" })) this.pings += 1;
  }

  #probe() {
    // Timers may have been frozen in a hidden tab: judge by the clock, then ask the server.
    if (this.clock.now() - this.lastInbound > this.heartbeatMs + this.graceMs) return this.#declareDead();
    this.#ping();
    return undefined;
  }

  #declareDead() {
    const silentMs = this.clock.now() - this.lastInbound;
    this.emit("dead", { silentMs });
    this.#drop(4000);
    // The server is probably fine and the path to it changed (new network): try at once.
    this.#stopTimers();
    this.#scheduleRetry(0, 1006);
  }

  // ---- plumbing -----------------------------------------------------------------------------

  #drop(code) {
    const ws = this.ws;
    this.ws = null;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try {
      ws.close(code);
    } catch {
      /* already closed */
    }
  }

  #stopTimers() {
    for (const timer of [this.retryTimer, this.pingTimer, this.deadTimer]) this.clock.clearTimeout(timer);
  }

  #setState(state, extra = {}) {
    const changed = state !== this.state;
    this.state = state;
    if (changed || extra.retryAt !== undefined) this.emit("state", { state, ...extra });
  }
}
