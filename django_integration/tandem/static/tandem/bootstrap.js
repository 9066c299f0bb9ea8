// The page's entry point, loaded as a static module (no inline script, so a strict
// Content-Security-Policy holds): reads the configuration the server put in a json_script
// element, starts one headless client for the tab and mounts the views the page has.
import { browserEnv, followPageHints } from "./browser_env.js";
import { startChat } from "./chat.js";
import { ChatList } from "./chat_list.js";
import { ConnectionBanner } from "./connection_banner.js";
import { TandemClient } from "./core/client.js";
import { Notifier } from "./notifier.js";
import { MessageSound } from "./sound.js";
import { TwoPanes } from "./two_pane.js";

function start() {
  const source = document.getElementById("tandem-config");
  if (!source) return;
  const config = JSON.parse(source.textContent);
  config.tz_minutes = -new Date().getTimezoneOffset();
  const client = new TandemClient(config, browserEnv(config));
  window.tandemClient = client; // for the browser tests and the console
  const chatRoot = document.querySelector("[data-tandem-chat]");
  if (chatRoot && config.chat) startChat(chatRoot, client, config);
  else chatRoot?.append(placeholder());
  const list = document.querySelector("[data-tandem-list]");
  if (list) window.tandemList = new ChatList(list, client, config);
  if (list && chatRoot) window.tandemPanes = new TwoPanes(list, chatRoot, client, config);
  const status = document.querySelector("[data-tandem-status]");
  if (status) status.append(new ConnectionBanner(client, config).node);
  offerNotifications(new Notifier(client, config));
  offerSound(new MessageSound(client, config));
  forgetOnLogout(client, config);
  keepFormsSignedIn(client);
  followPageHints(client);
  client.start();
}

function placeholder() {
  const p = document.createElement("p");
  p.className = "tandem-placeholder";
  p.textContent = "Select a chat to start messaging.";
  return p;
}

function offerNotifications(notifier) {
  // A button the site places ([data-tandem-notify]) asks for permission, from the user's click.
  window.tandemNotifier = notifier;
  for (const button of document.querySelectorAll("[data-tandem-notify]")) {
    if (!notifier.available || Notification.permission !== "default") {
      button.hidden = true;
      continue;
    }
    button.hidden = false;
    button.addEventListener("click", async () => {
      await notifier.enable();
      button.hidden = true;
    });
  }
}

function offerSound(sound) {
  // A checkbox the site places ([data-tandem-sound]) turns the sound on or off; its click is
  // the user gesture browsers require before a page may make sound.
  window.tandemSound = sound;
  for (const toggle of document.querySelectorAll("[data-tandem-sound]")) {
    const host = toggle.closest("label") ?? toggle;
    host.hidden = !sound.available;
    toggle.checked = sound.enabled;
    toggle.addEventListener("change", async () => {
      toggle.checked = await sound.setEnabled(toggle.checked);
    });
  }
  // Remembered as on: audio may start with the page's first gesture (autoplay policy).
  const unlock = () => sound.unlock();
  document.addEventListener("pointerdown", unlock, { once: true, capture: true });
  document.addEventListener("keydown", unlock, { once: true, capture: true });
}

function keepFormsSignedIn(client) {
  // After a login again in another tab, Django rotated the CSRF token: the page's own forms
  // (its logout form) would be refused with the one they were rendered with.
  client.on("csrf_token", (token) => setCsrfToken(document, token));
}

function setCsrfToken(root, token) {
  for (const input of root.querySelectorAll("input[name=csrfmiddlewaretoken]")) input.value = token;
}

function forgetOnLogout(client, config) {
  // Unsent bodies must not outlive the session in this browser.
  for (const form of document.querySelectorAll("form")) {
    if (!config.logout_url || new URL(form.action, location.href).pathname !== config.logout_url) continue;
    form.addEventListener("submit", (event) => {
      if (form.dataset.tandemCleared) return;
      event.preventDefault();
      client
        .logout()
        // A login in another tab since this page was rendered rotated the CSRF token (Django
        // keeps the session's key for the same user): the form's would be refused.
        .then(() => client.http?.({ type: "session" }))
        .then((session) => session?.csrf_token && setCsrfToken(form, session.csrf_token))
        .catch(() => {}) // not signed in any more: the form goes as it is
        .finally(() => {
          form.dataset.tandemCleared = "1";
          form.submit();
        });
    });
  }
}

start();
