// Requests that expect an answer (send → ack, history, sync), one in flight per key, each frame
// carrying a `ref` the server echoes on errors and on history and sync answers. Over the socket first; an unanswered frame is
// resent on the message backoff, a refusal with `retry_after` is resent after exactly that
// long; when the socket is down or its attempts are spent, the HTTP view takes the same frame.
// A refusal without `retry_after` is permanent and rejects with the server's code and message.
import { backoffDelay } from "./backoff.js";
import { Emitter } from "./emitter.js";

const MAX_RETRY_AFTER_ROUNDS = 5; // server-paced rounds before trying the other path

export class Requests extends Emitter {
  /**
   * @param {object} o
   * @param {{send(frame): boolean, state: string}} o.connection
   * @param {(frame) => Promise<object>} [o.http]  the HTTP fallback
   * @param {object} o.clock
   * @param {object} o.policy  the message retry backoff
   * @param {number} [o.timeoutMs]  how long a socket answer may take
   */
  constructor({ connection, http, clock, policy, random = Math.random, timeoutMs = 4000 }) {
    super();
    Object.assign(this, { connection, http, clock, policy, random, timeoutMs });
    this.byKey = new Map();
    this.byRef = new Map();
    this.nextRef = 1;
  }

  has(key) {
    return this.byKey.has(key);
  }

  /** Sends frame (once per key at a time) and resolves with its answer frame. */
  request(frame, key) {
    const running = this.byKey.get(key);
    if (running) return running.promise;
    const ref = frame.client_id || `r${this.nextRef++}`;
    const p = { frame: { ...frame, ref }, key, ref, attempts: 0, rounds: 0, timer: null, viaHttp: false };
    p.promise = new Promise((resolve, reject) => Object.assign(p, { resolve, reject }));
    this.byKey.set(key, p);
    this.byRef.set(ref, p);
    this.#attempt(p);
    return p.promise;
  }

  /**
   * An answer arrived (from either path); true when it settled one of ours. A frame carrying a
   * `ref` (the sidecar echoes it on `history` and `sync`) answers exactly the request that sent
   * that ref: a late answer to an earlier attempt must not settle the request now in flight
   * under the same key. A frame without one (an `ack`, the HTTP views) answers by key.
   */
  answer(key, frame) {
    const p = frame?.ref !== undefined && frame?.ref !== null ? this.byRef.get(String(frame.ref)) : this.byKey.get(key);
    if (!p) return false;
    this.#settle(p, () => p.resolve(frame));
    return true;
  }

  /** An error frame; true when it answered one of ours. */
  refused(error) {
    const p = error.ref !== undefined ? this.byRef.get(error.ref) : undefined;
    if (!p) return false;
    this.clock.clearTimeout(p.timer);
    if (error.retry_after === undefined) {
      this.#settle(p, () => p.reject({ permanent: true, code: error.code, message: error.message }));
    } else if (++p.rounds > MAX_RETRY_AFTER_ROUNDS) {
      this.#viaHttp(p);
    } else {
      p.timer = this.clock.setTimeout(() => this.#attempt(p), Math.max(100, error.retry_after * 1000));
    }
    return true;
  }

  /** A fresh socket: every request still waiting starts over on it. */
  resendAll() {
    for (const p of this.byKey.values()) {
      if (p.viaHttp) continue;
      p.attempts = 0;
      p.rounds = 0;
      this.#attempt(p);
    }
  }

  /** The user asked: try a waiting request now, from the first attempt. */
  retryNow(key) {
    const p = this.byKey.get(key);
    if (!p || p.viaHttp) return false;
    p.attempts = 0;
    p.rounds = 0;
    this.#attempt(p);
    return true;
  }

  /** Gives up on key without an answer (the view abandoned it). */
  cancel(key) {
    const p = this.byKey.get(key);
    if (p) this.#settle(p, () => p.reject({ permanent: true, code: "cancelled", message: "cancelled" }));
  }

  #attempt(p) {
    this.clock.clearTimeout(p.timer);
    if (this.connection.send(p.frame)) {
      p.timer = this.clock.setTimeout(() => this.#unanswered(p), this.timeoutMs);
    } else {
      this.#viaHttp(p);
    }
  }

  #unanswered(p) {
    p.attempts += 1;
    const delay = backoffDelay(this.policy, p.attempts, this.random());
    if (delay === null) return this.#viaHttp(p);
    p.timer = this.clock.setTimeout(() => this.#attempt(p), delay);
    return undefined;
  }

  #viaHttp(p) {
    this.clock.clearTimeout(p.timer);
    if (!this.http) return this.#stall(p, { permanent: false, code: "unanswered", message: "No answer" });
    if (p.viaHttp) return undefined;
    p.viaHttp = true;
    this.http(p.frame).then(
      (answer) => this.answer(p.key, answer),
      (failure) => {
        p.viaHttp = false;
        if (!this.byKey.has(p.key)) return;
        if (failure.permanent) return this.#settle(p, () => p.reject(failure));
        if (failure.retryAfterMs !== undefined && ++p.rounds <= MAX_RETRY_AFTER_ROUNDS) {
          p.timer = this.clock.setTimeout(() => this.#attempt(p), failure.retryAfterMs);
          return undefined;
        }
        return this.#stall(p, failure);
      },
    );
    return undefined;
  }

  #stall(p, failure) {
    // Neither path answered: it waits for the next socket (resendAll), and the owner is told
    // so it can show the request as stuck.
    p.attempts = 0;
    p.rounds = 0;
    this.emit("stalled", { key: p.key, frame: p.frame, failure });
  }

  #settle(p, finish) {
    this.clock.clearTimeout(p.timer);
    this.byKey.delete(p.key);
    this.byRef.delete(p.ref);
    finish();
  }
}
