// The connection's state in words, on every page that has the client: hidden while open, a
// countdown while waiting to reconnect (with "Retry now"), and what to do when logged out.
// Only state changes are announced; the countdown is not a live region.
import { el } from "./element.js";

const WORDS = {
  idle: "Connecting…",
  connecting: "Connecting…",
  reconnecting: "Reconnecting…",
  offline: "No network connection. Messages will be sent when it returns.",
  closed: "Disconnected.",
};

export class ConnectionBanner {
  constructor(client, config) {
    this.client = client;
    this.config = config;
    this.node = el("div", { class: "tandem-status", role: "status", "data-state": client.state });
    this.timer = null;
    this.off = client.on("state", (s) => this.show(s));
    this.show({ state: client.state });
  }

  destroy() {
    this.off();
    clearInterval(this.timer);
  }

  show({ state, retryAt }) {
    const bar = this.node;
    clearInterval(this.timer);
    bar.dataset.state = state;
    bar.replaceChildren();
    if (state === "open") return;
    if (state === "logged_out") {
      bar.append("Your session ended. ", el("a", { href: this.config.login_url }, "Log in again"));
      return;
    }
    bar.append(WORDS[state] ?? state);
    if (state === "reconnecting" && retryAt) {
      const countdown = el("span", { class: "tandem-countdown", "aria-hidden": "true" });
      const tick = () => (countdown.textContent = ` in ${Math.max(0, Math.ceil((retryAt - Date.now()) / 1000))} s`);
      tick();
      this.timer = setInterval(tick, 1000);
      bar.append(countdown, " ", el("button", { type: "button", onclick: () => this.client.wake() }, "Retry now"));
    }
  }
}
