// One WebSocket to the sidecar and its life: connect, heartbeat, reconnect with the core's
// backoff (first retry within 2 s, exponential with jitter, 5 attempts), then "offline" with a
// manual retry. Emits "status" ({state, retryIn}) and "frame" events; send() reports whether
// the frame could be written.
import { backoffDelay } from "./core/backoff.js";

export class Connection extends EventTarget {
  constructor(url, policy, heartbeatMs = 25000) {
    super();
    this.url = url;
    this.policy = policy;
    this.heartbeatMs = heartbeatMs;
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.heartbeat = null;
  }

  get open() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  start() {
    this.attempt = 0;
    this.connect();
  }

  retryNow() {
    clearTimeout(this.timer);
    this.attempt = 0;
    this.connect();
  }

  send(frame) {
    if (!this.open) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  connect() {
    this.emit("status", { state: this.attempt === 0 ? "connecting" : "reconnecting" });
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.attempt = 0;
      this.emit("status", { state: "connected" });
      clearInterval(this.heartbeat);
      // An application ping: proxies that drop idle sockets see traffic, and a dead link shows.
      this.heartbeat = setInterval(() => this.send({ type: "ping", ref: "hb" }), this.heartbeatMs);
    });
    ws.addEventListener("message", (event) => {
      try {
        this.emit("frame", JSON.parse(event.data));
      } catch {
        /* not JSON: not ours */
      }
    });
    ws.addEventListener("close", (event) => {
      clearInterval(this.heartbeat);
      if (this.ws !== ws) return;
      this.ws = null;
      if (event.code === 4401) {
        this.emit("status", { state: "logged_out" });
        return;
      }
      if (event.code === 4403 || event.code === 1008 || event.code === 1009) {
        this.emit("status", { state: "offline", code: event.code });
        return;
      }
      this.scheduleRetry(event.code === 1012 ? 0 : null);
    });
  }

  scheduleRetry(immediate) {
    this.attempt += 1;
    // 1012 (service restart): another process answers at once; still counted as an attempt.
    const delay = immediate === 0 && this.attempt === 1 ? 100 : backoffDelay(this.policy, this.attempt);
    if (delay === null) {
      this.emit("status", { state: "offline" });
      return;
    }
    this.emit("status", { state: "reconnecting", retryIn: delay, attempt: this.attempt });
    this.timer = setTimeout(() => this.connect(), delay);
  }
}
