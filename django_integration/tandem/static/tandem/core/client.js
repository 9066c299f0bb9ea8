// The headless client: one connection to /ws/notifications/ per tab carrying every chat, a
// store per chat, the request tracker and the outbox, and the receipts this device owes
// ("delivered" as soon as a message reaches any open tab, "read" when a view says it was seen).
// Views subscribe to its events and call its commands; they never hold protocol state.
import { bodyProblem } from "./body_rules.js";
import { ChatStore } from "./chat_store.js";
import { Connection, State } from "./connection.js";
import { Emitter } from "./emitter.js";
import { Requests } from "./requests.js";
import { SessionCheck } from "./session_check.js";

const DEFAULTS = {
  holdMs: 250, // an out-of-order frame waits this long for the missing one before a sync
  deliveredBatchMs: 100,
  readBatchMs: 300,
  graceMs: 10000,
  ackTimeoutMs: 4000,
};

/** The close reason of a 4401 from the socket's periodic re-check of its session. */
const SESSION_ENDED = "session ended";

/** Why a message was not sent while the page's user is not signed in here. */
const NOT_SIGNED_IN = "Not sent: your session ended. Log in again, then retry.";

export class TandemClient extends Emitter {
  /**
   * @param {object} config  from {% tandem_client_config %} (me, ws_url, policies, limits)
   * @param {object} env  {createSocket, clock, random, http, outbox, newClientId}
   */
  constructor(config, env) {
    super();
    this.config = config;
    this.me = config.me.id;
    this.env = env;
    this.options = { ...DEFAULTS, ...(config.client || {}) };
    this.stores = new Map();
    this.chatState = new Map(); // chat → {syncing, again, holdTimer, loadingOlder, receipts}
    this.presence = new Map(); // user → the latest presence entry (a view mounted later reads it)
    this.left = new Set(); // chats the user left (or was removed from) since the page loaded
    this.outbox = env.outbox;
    this.refusedUnsigned = new Map(); // client_id → chat: sends to make once signed in again
    // Django's 401 (`unauthenticated`) to any request: the session ended, or the request went
    // with a key Django had just replaced (a password change in another tab), or the browser is
    // signed in as someone else now. The session is asked (#sessionRefused).
    this.http =
      env.http &&
      ((frame) =>
        env.http(frame).catch((failure) => {
          if (failure?.code === "unauthenticated" && frame.type !== "session") this.#sessionRefused();
          throw failure;
        }));
    const tz = config.tz_minutes ?? 0;
    this.connection = new Connection({
      url: `${config.ws_url}/ws/notifications/?v=1&tz=${tz}`,
      createSocket: env.createSocket,
      clock: env.clock,
      random: env.random,
      policy: config.reconnect_backoff,
      graceMs: this.options.graceMs,
      user: this.me,
    });
    this.requests = new Requests({
      connection: this.connection,
      http: this.http,
      clock: env.clock,
      random: env.random,
      policy: config.message_retry_backoff,
      timeoutMs: this.options.ackTimeoutMs,
    });
    if (env.http) env.http.onCsrfToken = (token) => this.emit("csrf_token", token);
    this.sessionCheck = new SessionCheck({
      http: this.http,
      clock: env.clock,
      random: env.random,
      policy: config.reconnect_backoff,
      me: this.me,
    });
    this.connection.on("state", (s) => {
      if (s.state !== State.open) this.presence.clear(); // stale over a dead link; hello resends
      // A re-check's 4401 ("session ended"): the session may only have a new key. Not a
      // logout's (final), nor one the client decided on.
      if (s.state === State.loggedOut && s.closeReason === SESSION_ENDED) {
        // Already being asked (a 401 started it): that answer decides, and resumes the socket.
        if (this.sessionCheck.running) return void this.#showState({ state: State.connecting, code: s.code });
        if (this.sessionCheck.mayCheck()) return void this.#checkSession(s);
      }
      if (s.state === State.loggedOut) this.#forgetUnsent();
      this.#showState(s);
    });
    this.connection.on("dead", (d) => this.emit("dead", d));
    this.connection.on("frame", (f) => this.#onFrame(f));
    this.requests.on("stalled", (s) => this.#onStalled(s));
  }

  // ---- commands -----------------------------------------------------------------------------

  async start() {
    // What earlier tabs left unsent is shown at once (as pending) and sent on hello.
    for (const entry of await this.outbox.all()) this.#showUnsent(entry);
    this.connection.connect();
  }

  stop() {
    this.sessionCheck.cancel();
    this.connection.close();
  }

  get state() {
    // While Django is asked whether a 4401 ended the session, the page is connecting again.
    const asking = this.sessionCheck.running && this.connection.state === State.loggedOut;
    return asking ? State.connecting : this.connection.state;
  }

  store(chat) {
    if (!this.stores.has(chat)) this.stores.set(chat, new ChatStore(chat, this.me));
    return this.stores.get(chat);
  }

  /** A view shows this chat: load its newest page unless it has it. */
  openChat(chat) {
    const store = this.store(chat);
    if (!store.firstPageLoaded) this.#loadNewest(chat);
    return store;
  }

  loadOlder(chat) {
    const store = this.store(chat);
    const s = this.#state(chat);
    if (!store.firstPageLoaded || !store.hasMore || s.loadingOlder || store.oldest === null) return false;
    s.loadingOlder = true;
    const before = store.oldest;
    this.requests
      .request({ type: "history", chat, before }, `history:${chat}:${before}`)
      .then((frame) => this.#onHistory(frame))
      .catch((failure) => this.emit("history_failed", { chat, first: false, failure }))
      .finally(() => (s.loadingOlder = false)); // a failed page never stops scrolling for good
    return true;
  }

  /** Returns {record} or {error: code}; the record is shown before anything is sent. */
  send(chat, body) {
    const error = bodyProblem(body, this.config.limits.max_body_chars);
    if (error) return { error };
    const entry = { client_id: this.env.newClientId(), chat, body, created_at: this.env.clock.now() };
    const record = this.store(chat).addOwn(entry.client_id, body);
    this.emit("records", { chat, records: [record] });
    this.emit("message", { chat, record });
    if (this.state === State.loggedOut) {
      // Nobody is signed in here as this page's user: not stored, shown failed with Retry.
      this.#markFailed(chat, entry.client_id, NOT_SIGNED_IN, true);
      return { record };
    }
    // Durable first: if the tab dies right after, the next one sends it.
    this.outbox.put(entry).then(
      () => this.#dispatch(entry),
      () => this.#dispatch(entry), // storage refused (private mode): still send
    );
    return { record };
  }

  retry(chat, clientId) {
    const record = this.store(chat).own(clientId);
    if (!record || record.seq) return;
    if (this.state === State.loggedOut) {
      // The user may have logged in again (in another tab): asked now, whatever the check's
      // pace (a click, not a loop); signed in, the socket comes back and this is sent.
      this.refusedUnsigned.set(clientId, chat);
      if (!this.sessionCheck.running && this.http) this.#checkSession({ state: State.loggedOut, code: 4401 });
      return;
    }
    record.status = "pending";
    record.error = undefined;
    this.emit("records", { chat, records: [record] });
    if (this.requests.retryNow(clientId)) return; // still waiting in the tracker (stalled)
    const entry = { client_id: clientId, chat, body: record.body, created_at: this.env.clock.now() };
    this.outbox.put(entry).finally(() => this.#dispatch(entry));
  }

  /** Messages up to upto reached this device by another path (the page the server rendered). */
  markDelivered(chat, upto) {
    this.#receipt(chat, "delivered", upto, this.options.deliveredBatchMs);
  }

  /** The highest seq this tab has reported read in chat. */
  readUpto(chat) {
    return this.#state(chat).receipts.read.sent;
  }

  markRead(chat, upto) {
    this.#receipt(chat, "read", upto, this.options.readBatchMs);
  }

  typing(chat, state) {
    this.connection.send({ type: "typing", state, chat });
  }

  /** Logging out: nothing of this user's may stay in the browser. */
  async logout() {
    this.stop();
    await this.outbox.clear();
  }

  /** The browser's hints (online, offline, page visible). */
  wake() {
    this.sessionCheck.wake();
    this.connection.wake();
  }

  offline() {
    this.connection.offline();
  }

  // ---- a session that ended, or only changed its key (core/session_check.js) ----------------

  #sessionRefused() {
    const over = [State.closed, State.loggedOut].includes(this.connection.state);
    if (this.sessionCheck.running || over) return; // asked already, or nothing left to decide
    // Asked at most once every CHECK_EVERY_MS; past that, a 401 is believed.
    if (this.sessionCheck.mayCheck()) return void this.#checkSession({ state: State.loggedOut, code: 4401 });
    this.connection.loggedOut("unauthenticated");
  }

  async #checkSession(closed) {
    if (this.connection.state === State.loggedOut) this.#showState({ state: State.connecting, code: closed.code });
    const answer = await this.sessionCheck.run();
    if (answer === null || this.connection.state === State.closed) return; // stopped meanwhile
    if (!answer.signedIn) {
      // Logged out: by the connection (its state event), or here if it already was.
      if (this.connection.state !== State.loggedOut) return void this.connection.loggedOut(answer.reason);
      this.#forgetUnsent();
      this.shownState = undefined; // shown again even if it was: the check said "connecting"
      return void this.#showState({ ...closed, state: State.loggedOut, reason: answer.reason });
    }
    if (answer.csrfToken) {
      this.env.http?.useCsrfToken?.(answer.csrfToken);
      this.emit("csrf_token", answer.csrfToken); // for the page's own forms (its logout form)
    }
    this.connection.resume(); // only if the socket was closed for it
    for (const [clientId, chat] of this.refusedUnsigned) this.retry(chat, clientId);
    this.refusedUnsigned.clear();
  }

  #forgetUnsent() {
    // The page's user is logged out here: unsent bodies must not outlive the session in this
    // browser's storage (as the logout form's clear does). They stay on the page, failed, with
    // Retry (which asks Django again: after a login in another tab it sends them).
    this.outbox.clear().catch(() => {});
    for (const [chat, store] of this.stores) {
      for (const record of store.ordered()) {
        if (record.mine && !record.seq && record.status === "pending") {
          this.requests.cancel(record.client_id);
          this.#markFailed(chat, record.client_id, NOT_SIGNED_IN, true);
        }
      }
    }
  }

  #showState(s) {
    // Changes only (a session check's "connecting" is followed by the dial's), and every
    // reconnect countdown.
    if (s.state === this.shownState && s.retryAt === undefined) return;
    this.shownState = s.state;
    this.emit("state", s);
  }

  // ---- frames -------------------------------------------------------------------------------

  #onFrame(frame) {
    switch (frame.type) {
      case "hello":
        return this.#onHello();
      case "message":
        return this.#onMessage(frame);
      case "ack":
        return this.requests.answer(frame.client_id, frame);
      case "history":
        return this.requests.answer(`history:${frame.chat}:${frame.before ?? "newest"}`, frame);
      case "sync":
        return this.#onSync(frame);
      case "status":
        return this.#emitChanged(frame.chat, this.store(frame.chat).applyStatus(frame.status, frame.upto));
      case "error":
        return this.requests.refused(frame) || this.emit("server_error", frame);
      case "resync":
        // The server says live frames may have been missed (a Redis outage, or another sidecar
        // process died with sends it stored but never published; of one chat only, `chat`,
        // when this socket has just joined its group): each open chat concerned catches up
        // from its gapless cursor, even with no gap in sight (docs/protocol.md, `resync`).
        for (const [chat, store] of this.stores) {
          if (store.firstPageLoaded && (frame.chat === undefined || frame.chat === chat)) this.#sync(chat, { force: true });
        }
        return this.emit("resync", frame);
      case "membership":
        // The user left chat C (or joined it again): a view of it stops offering to send.
        if (frame.member) this.left.delete(frame.chat);
        else this.left.add(frame.chat);
        return this.emit("membership", frame);
      case "presence":
        // `hidden`: the user's privacy setting no longer lets us see it; forget what we had.
        for (const user of frame.users) {
          if (user.hidden) this.presence.delete(user.user);
          else this.presence.set(user.user, user);
        }
        return this.emit("presence", frame);
      default:
        return this.emit(frame.type, frame); // typing, presence, receipt, notification
    }
  }

  #onHello() {
    this.requests.resendAll();
    for (const [chat, store] of this.stores) {
      if (store.firstPageLoaded) this.#sync(chat);
      else if (this.#state(chat).wantNewest) this.#loadNewest(chat);
    }
    this.#flushOutbox();
    this.#recheckLeft();
  }

  #recheckLeft() {
    // `membership` frames reach only a socket that is open: a user added back while the link was
    // down would keep a view with no composer. Each chat left is asked again
    // (GET api/chats/<id>/: a member gets it, anyone else a 403).
    for (const chat of this.left) {
      Promise.resolve()
        .then(() => this.http({ type: "chat", chat }))
        .then(
          () => this.left.delete(chat) && this.emit("membership", { type: "membership", chat, member: true }),
          () => {}, // refused (still not a member) or no answer: as it was
        );
    }
  }

  #noLongerMember(chat) {
    // A removal missed while the link was down shows first as a refused send.
    if (this.left.has(chat)) return;
    this.left.add(chat);
    this.emit("membership", { type: "membership", chat, member: false });
  }

  #onMessage(m) {
    const store = this.store(m.chat);
    const record = store.adopt(m);
    if (!record) return; // already held (a live copy of something a sync brought)
    this.#emitChanged(m.chat, [record]);
    this.emit("message", { chat: m.chat, record });
    if (!record.mine) this.#receipt(m.chat, "delivered", m.seq, this.options.deliveredBatchMs);
    this.#holdForGap(m.chat);
  }

  #holdForGap(chat) {
    // Publishes after commit race, so seq N+1 often overtakes N by a few milliseconds: a gap
    // waits a moment for N before paying for a sync. The wait belongs to the gap: one that
    // closes in time is forgotten, so a new gap just before the timer would fire gets its own.
    const s = this.#state(chat);
    if (!this.store(chat).hasGap()) {
      this.env.clock.clearTimeout(s.holdTimer);
      s.holdTimer = null;
      return;
    }
    if (s.holdTimer) return;
    s.holdTimer = this.env.clock.setTimeout(() => {
      s.holdTimer = null;
      if (this.store(chat).hasGap()) this.#sync(chat);
    }, this.options.holdMs);
  }

  #sync(chat, { force = false } = {}) {
    const s = this.#state(chat);
    if (s.syncing) {
      s.again = true;
      // A forced sync asked while one runs must still run after it: the running one may have
      // read the server's last seq before what the hint is about was stored.
      if (force) s.forced = true;
      return;
    }
    s.syncing = true;
    const after = this.store(chat).highest;
    this.requests
      .request({ type: "sync", chat, after }, `sync:${chat}`)
      .then((frame) => this.#applySyncPage(frame)) // the HTTP path answers with one whole page
      .catch((failure) => this.emit("sync_failed", { chat, failure }))
      .finally(() => {
        s.syncing = false;
        const forced = s.forced;
        s.forced = false;
        if (s.again || forced || this.store(chat).hasGap()) {
          s.again = false;
          if (forced || this.store(chat).hasGap()) this.#sync(chat);
        }
      });
  }

  #onSync(frame) {
    // Pages of one socket sync arrive as separate frames; the last (more: false) answers it. A
    // page answering no request of ours (a late copy) is still applied: it holds real messages.
    if (frame.more || !this.requests.answer(`sync:${frame.chat}`, frame)) this.#applySyncPage(frame);
  }

  #applySyncPage(frame) {
    const store = this.store(frame.chat);
    if (frame.applied) return;
    frame.applied = true;
    if (frame.reload) {
      store.reset();
      this.emit("reset", { chat: frame.chat });
      this.#loadNewest(frame.chat);
      return;
    }
    const changed = store.applySync(frame);
    if (frame.receipts) {
      changed.push(...store.applyStatus("delivered", frame.receipts.delivered_upto ?? 0));
      changed.push(...store.applyStatus("read", frame.receipts.read_upto ?? 0));
    }
    this.#emitChanged(frame.chat, changed);
    const theirs = frame.messages.filter((m) => m.sender !== this.me);
    if (theirs.length) this.#receipt(frame.chat, "delivered", theirs.at(-1).seq, this.options.deliveredBatchMs);
  }

  #loadNewest(chat) {
    const s = this.#state(chat);
    s.wantNewest = true;
    this.requests
      .request({ type: "history", chat }, `history:${chat}:newest`)
      .then((frame) => {
        s.wantNewest = false;
        this.#onHistory(frame);
        if (this.store(chat).hasGap()) this.#sync(chat);
      })
      .catch((failure) => this.emit("history_failed", { chat, first: true, failure }));
  }

  #onHistory(frame) {
    const store = this.store(frame.chat);
    const first = !frame.before;
    const changed = store.applyHistory(frame);
    this.#emitChanged(frame.chat, changed);
    this.emit("history", { chat: frame.chat, first, count: changed.length });
    const theirs = frame.messages.filter((m) => m.sender !== this.me);
    if (first && theirs.length) this.#receipt(frame.chat, "delivered", theirs.at(-1).seq, this.options.deliveredBatchMs);
  }

  // ---- sending ------------------------------------------------------------------------------

  #dispatch(entry) {
    const { chat, client_id: clientId } = entry;
    this.requests
      .request({ type: "send", chat, client_id: clientId, body: entry.body }, clientId)
      .then((ack) => {
        this.outbox.remove(clientId);
        const record = this.store(chat).adopt({ ...ack, sender: this.me, body: entry.body });
        if (record) this.#emitChanged(chat, [record]);
      })
      .catch((failure) => {
        this.outbox.remove(clientId);
        if (failure.code === "cancelled") return; // by #forgetUnsent, which shows it
        if (failure.code === "unauthenticated") {
          // Not signed in as the page's user (for now: the session is being asked about). Its
          // body leaves the browser's storage with the session (as at a logout) and stays on
          // the page, with Retry; sent again at once if the session turns out to be the user's.
          this.refusedUnsigned.set(clientId, chat);
          return this.#markFailed(chat, clientId, NOT_SIGNED_IN, true);
        }
        // Refused for good (too long, not allowed...): resending can never help.
        this.#markFailed(chat, clientId, failure.message || failure.code);
        if (failure.code === "forbidden") this.#noLongerMember(chat);
      });
  }

  #onStalled({ frame, failure }) {
    if (frame.type !== "send") return;
    // Still in the outbox and resent on the next socket; while this one looks open the user
    // should know it is stuck (and may retry).
    if (this.connection.state === State.open) this.#markFailed(frame.chat, frame.client_id, failure.message, true);
  }

  #markFailed(chat, clientId, reason, retryable = false) {
    const record = this.store(chat).own(clientId);
    if (!record || record.seq) return;
    record.status = "failed";
    record.error = reason;
    record.retryable = retryable;
    this.emit("records", { chat, records: [record] });
  }

  #showUnsent(entry) {
    const store = this.store(entry.chat);
    if (store.own(entry.client_id)) return;
    const record = store.addOwn(entry.client_id, entry.body);
    this.emit("records", { chat: entry.chat, records: [record] });
  }

  #flushOutbox() {
    this.outbox
      .claim(async (entries) => {
        const mine = entries.filter((e) => !this.requests.has(e.client_id));
        for (const entry of mine) {
          this.#showUnsent(entry);
          this.#dispatch(entry);
        }
      })
      .catch((error) => this.emit("server_error", { code: "outbox", message: String(error) }));
  }

  // ---- receipts -----------------------------------------------------------------------------

  #receipt(chat, kind, upto, batchMs) {
    // Batched: one frame for the highest seq of a burst; markers only move forward.
    const r = this.#state(chat).receipts[kind];
    if (upto <= r.sent || upto <= r.pending) return;
    r.pending = upto;
    if (r.timer) return;
    r.timer = this.env.clock.setTimeout(() => {
      r.timer = null;
      const frame = { type: kind, chat, upto: r.pending };
      r.sent = r.pending;
      if (!this.connection.send(frame) && this.http) this.http(frame).catch(() => (r.sent = 0));
    }, batchMs);
  }

  #state(chat) {
    if (!this.chatState.has(chat)) {
      this.chatState.set(chat, {
        syncing: false,
        again: false,
        holdTimer: null,
        loadingOlder: false,
        wantNewest: false,
        receipts: { delivered: { sent: 0, pending: 0, timer: null }, read: { sent: 0, pending: 0, timer: null } },
      });
    }
    return this.chatState.get(chat);
  }

  #emitChanged(chat, records) {
    if (records.length) this.emit("records", { chat, records });
  }
}
