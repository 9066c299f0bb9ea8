// The optional message sound (issue 15): off by default, turned on by the user (a click, which
// is also what the browser's autoplay policy needs to let a page make sound), remembered per
// user, played only for others' messages in chats not in view, never more than once per
// `minGapMs`, and silent (no error) while the browser still holds audio back.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Emitter } from "../../django_integration/tandem/static/tandem/core/emitter.js";
import { MessageSound } from "../../django_integration/tandem/static/tandem/sound.js";

class FakeStorage {
  values = new Map();
  getItem(key) {
    return this.values.has(key) ? this.values.get(key) : null;
  }
  setItem(key, value) {
    this.values.set(key, String(value));
  }
  removeItem(key) {
    this.values.delete(key);
  }
}

class FakeAudioContext {
  static made = 0;
  constructor({ state = "suspended", allowResume = true } = {}) {
    FakeAudioContext.made += 1;
    Object.assign(this, { state, allowResume, tones: 0, currentTime: 0 });
    this.destination = {};
  }
  async resume() {
    if (this.allowResume) this.state = "running";
  }
  createOscillator() {
    const ctx = this;
    return { frequency: { value: 0 }, type: "sine", connect: (n) => n, start() { ctx.tones += 1; }, stop() {} };
  }
  createGain() {
    return { gain: { value: 0, setValueAtTime() {}, exponentialRampToValueAtTime() {} }, connect: (n) => n };
  }
}

function setup({ stored, contextOptions, inView = () => false } = {}) {
  const client = new Emitter();
  const storage = new FakeStorage();
  if (stored !== undefined) storage.setItem("tandem-sound-1", stored);
  let now = 10_000;
  const contexts = [];
  const sound = new MessageSound(client, { me: { id: 1 } }, {
    storage,
    createContext: () => {
      const ctx = new FakeAudioContext(contextOptions);
      contexts.push(ctx);
      return ctx;
    },
    inView,
    now: () => now,
  });
  const arrive = (chat, { mine = false, seq = 1 } = {}) => client.emit("message", { chat, record: { mine, seq, sender: mine ? 1 : 2, body: "hi" } });
  return { sound, storage, contexts, arrive, advance: (ms) => (now += ms) };
}

const tones = (contexts) => contexts.reduce((n, c) => n + c.tones, 0);

test("the sound is off by default: nothing plays and no audio context is made", async () => {
  const h = setup();
  assert.equal(h.sound.enabled, false);
  h.arrive(10);
  await Promise.resolve();
  assert.equal(h.contexts.length, 0);
});

test("turned on by the user, it plays for others' messages in chats not in view, and is remembered", async () => {
  const h = setup({ inView: (chat) => chat === 20 });
  await h.sound.setEnabled(true); // from the toggle's click: the gesture unlocks audio
  assert.equal(h.storage.getItem("tandem-sound-1"), "on");
  assert.equal(h.contexts[0].state, "running");
  h.arrive(10);
  assert.equal(tones(h.contexts), 1);
  h.advance(5000);
  h.arrive(10, { mine: true }); // one's own message: silent
  h.arrive(20); // the chat in view: silent
  h.arrive(10, { seq: null }); // not stored yet (an optimistic bubble): silent
  assert.equal(tones(h.contexts), 1);
});

test("a burst of messages makes one sound, not one per message", async () => {
  const h = setup();
  await h.sound.setEnabled(true);
  for (let i = 1; i <= 10; i += 1) h.arrive(10, { seq: i });
  assert.equal(tones(h.contexts), 1);
  h.advance(2000);
  h.arrive(10, { seq: 11 });
  assert.equal(tones(h.contexts), 2);
});

test("turned off, it is silent again and the choice is remembered", async () => {
  const h = setup({ stored: "on" });
  assert.equal(h.sound.enabled, true);
  await h.sound.setEnabled(false);
  assert.equal(h.storage.getItem("tandem-sound-1"), null);
  h.arrive(10);
  assert.equal(tones(h.contexts), 0);
});

test("remembered as on in a new page, it stays silent until the browser lets audio play (autoplay policy)", async () => {
  const h = setup({ stored: "on", contextOptions: { allowResume: false } });
  h.arrive(10);
  await Promise.resolve();
  assert.equal(tones(h.contexts), 0); // suspended: no sound, no error
  h.contexts[0].allowResume = true;
  await h.sound.unlock(); // the page's first click or key press
  h.advance(5000);
  h.arrive(10, { seq: 2 });
  assert.equal(tones(h.contexts), 1);
});

test("without Web Audio the toggle reports it and nothing throws", async () => {
  const client = new Emitter();
  const sound = new MessageSound(client, { me: { id: 1 } }, { storage: new FakeStorage(), createContext: null, inView: () => false });
  assert.equal(sound.available, false);
  assert.equal(await sound.setEnabled(true), false);
  client.emit("message", { chat: 1, record: { mine: false, seq: 1 } });
});
