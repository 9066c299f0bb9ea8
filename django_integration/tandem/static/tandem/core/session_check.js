// A 4401 is not always the end of the page's session: Django gives a session a new key when the
// user changes their password or logs in again, and the socket, opened with the old cookie, is
// closed at its re-check while the browser already holds the new one. So after a 4401 the page
// asks Django (GET api/session/, which names the page's user): still signed in as that user,
// the tab reconnects quietly, with the fresh CSRF token the answer carries (a login again
// rotates it); ended, or someone else's session now, the page is logged out. No answer
// (offline, a 5xx) is asked again on the reconnect backoff: it says nothing about the session.
import { reconnectDelay } from "./backoff.js";

/** A 4401 is checked at most this often: a server that keeps refusing a session Django accepts
 *  must not make the tab dial in a loop. */
export const CHECK_EVERY_MS = 30_000;

export class SessionCheck {
  /**
   * @param {object} o
   * @param {(frame: object) => Promise<object>} o.http  the HTTP fallback ({type: "session"})
   * @param {object} o.clock  {now(), setTimeout(fn, ms), clearTimeout(id)}
   * @param {() => number} o.random  uniform in [0, 1)
   * @param {object} o.policy  the reconnect backoff policy, for asking again after no answer
   * @param {number} o.me  the page's user
   */
  constructor({ http, clock, random, policy, me }) {
    Object.assign(this, { http, clock, random, policy, me });
    this.checkedAt = undefined;
    this.finish = null; // while a check runs: settles it
    this.timer = null; // while waiting to ask again
    this.asking = false; // while an ask is in flight
    this.attempt = 0;
  }

  get running() {
    return this.finish !== null;
  }

  /** May a 4401 be checked now (there is an HTTP path, and none was checked lately)? */
  mayCheck() {
    return Boolean(this.http) && !this.running && (this.checkedAt === undefined || this.clock.now() - this.checkedAt >= CHECK_EVERY_MS);
  }

  /** Resolves {signedIn: true, csrfToken} or {signedIn: false, reason}; null when cancelled. */
  run() {
    this.checkedAt = this.clock.now();
    this.attempt = 0;
    return new Promise((resolve) => {
      this.finish = (outcome) => {
        this.finish = null;
        this.asking = false;
        this.clock.clearTimeout(this.timer);
        this.timer = null;
        resolve(outcome);
      };
      this.#ask();
    });
  }

  /** The browser is back (online, visible): ask now rather than at the next backoff step (one
   *  ask at a time: an ask in flight is waited for). */
  wake() {
    if (!this.finish || this.asking) return;
    this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.#ask();
  }

  cancel() {
    this.finish?.(null);
  }

  #ask() {
    const finish = this.finish;
    if (!finish) return; // settled or cancelled meanwhile
    this.asking = true;
    Promise.resolve()
      .then(() => this.http({ type: "session" }))
      .then(
        (answer) => {
          if (this.finish !== finish) return;
          this.asking = false;
          // Not the view's answer (a proxy's page, a body cut off): says nothing, ask again.
          if (!Number.isInteger(Number(answer?.user)) || answer?.user === null) return this.#askAgain();
          if (Number(answer.user) !== Number(this.me)) return finish({ signedIn: false, reason: "another_user" });
          return finish({ signedIn: true, csrfToken: answer.csrf_token });
        },
        (failure) => {
          if (this.finish !== finish) return;
          this.asking = false;
          if (failure?.permanent) return finish({ signedIn: false, reason: failure.code });
          return this.#askAgain();
        },
      );
  }

  #askAgain() {
    this.attempt += 1;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.#ask();
    }, reconnectDelay(this.policy, this.attempt, this.random()));
  }
}
