// A minimal event emitter for the headless core: no DOM EventTarget, so the same modules run in
// the browser and under `node --test`. Listeners that throw are reported, never break the emitter.
export class Emitter {
  #listeners = new Map();

  on(type, listener) {
    if (!this.#listeners.has(type)) this.#listeners.set(type, new Set());
    this.#listeners.get(type).add(listener);
    return () => this.#listeners.get(type)?.delete(listener);
  }

  emit(type, detail) {
    for (const listener of [...(this.#listeners.get(type) || [])]) {
      try {
        listener(detail);
      } catch (error) {
        // A broken view must not stop the protocol state from moving on.
        console.error(`tandem: a "${type}" listener failed`, error);
      }
    }
  }
}
