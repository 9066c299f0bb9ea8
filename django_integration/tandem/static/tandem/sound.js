// The optional message sound: off by default; the user turns it on with a control the site
// places ([data-tandem-sound], see bootstrap.js), and the choice is kept per user in this
// browser. It sounds for other people's messages in chats that are not in view (the same rule
// as desktop notifications), at most once per `minGapMs` however many arrive.
//
// Browsers' autoplay policy lets a page make sound only after a user gesture: the tone is made
// with Web Audio (no media file, so a strict CSP needs nothing more), its context is created or
// resumed from the toggle's click, and on a later page load from the first click or key press.
// Until then a message makes no sound, and no error.

const MIN_GAP_MS = 1500;

function localStorageOrNull() {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // storage blocked (some private modes): the choice lasts for this page only
  }
}

function defaultInView(chat) {
  return globalThis.document?.visibilityState === "visible" && globalThis.window?.tandemChat?.chat === chat;
}

function defaultContextFactory() {
  const AudioContextClass = globalThis.AudioContext ?? globalThis.webkitAudioContext;
  return AudioContextClass ? () => new AudioContextClass() : null;
}

export class MessageSound {
  /**
   * @param {{on(type, listener): Function}} client  the page's TandemClient (its "message" events)
   * @param {{me: {id: number}}} config
   * @param {object} [o]  storage, createContext (null: no Web Audio), inView(chat), now(), minGapMs
   */
  constructor(client, config, { storage = localStorageOrNull(), createContext = defaultContextFactory(), inView = defaultInView, now = () => Date.now(), minGapMs = MIN_GAP_MS } = {}) {
    Object.assign(this, { storage, createContext, inView, now, minGapMs });
    this.key = `tandem-sound-${config.me.id}`;
    this.context = null;
    this.lastPlayed = -Infinity;
    this.on = this.#read() === "on";
    client.on("message", ({ chat, record }) => this.onMessage(chat, record));
  }

  get available() {
    return typeof this.createContext === "function";
  }

  get enabled() {
    return this.on && this.available;
  }

  /** From the toggle's click (a user gesture, which also unlocks audio); true when on. */
  async setEnabled(on) {
    if (on && !this.available) return false;
    this.on = on;
    this.#write(on ? "on" : null);
    if (on) await this.unlock();
    return this.enabled;
  }

  /** Lets audio play (call from a user gesture: the page's first click or key press). */
  async unlock() {
    if (!this.enabled) return;
    this.context ??= this.createContext();
    if (this.context.state !== "running") {
      try {
        await this.context.resume();
      } catch {
        // Still held back by the browser: the next gesture tries again.
      }
    }
  }

  onMessage(chat, record) {
    if (!this.enabled || record.mine || !record.seq || this.inView(chat)) return;
    if (this.now() - this.lastPlayed < this.minGapMs) return;
    this.context ??= this.createContext();
    if (this.context.state !== "running") {
      this.context.resume?.().catch?.(() => {}); // without a gesture yet this stays suspended
      return;
    }
    this.lastPlayed = this.now();
    this.#tone();
  }

  #tone() {
    // A short, soft "pop": one sine note fading out over 180 ms.
    const ctx = this.context;
    const t = ctx.currentTime;
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = "sine";
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, t);
    gain.gain.exponentialRampToValueAtTime(0.001, t + 0.18);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t);
    osc.stop(t + 0.2);
  }

  #read() {
    try {
      return this.storage?.getItem(this.key) ?? null;
    } catch {
      return null;
    }
  }

  #write(value) {
    try {
      if (value === null) this.storage?.removeItem(this.key);
      else this.storage?.setItem(this.key, value);
    } catch {
      // Not kept across pages; it still holds for this one.
    }
  }
}
