// Desktop notifications for messages that arrive in a chat the user is not looking at (another
// chat, or this tab hidden), once the user has allowed them; one notification per chat at a time
// (tagged), and a click brings the tab forward on that chat.
import { learnChat } from "./chat_directory.js";
import { displayName } from "./display_name.js";

export class Notifier {
  constructor(client, config, { Notification = globalThis.Notification } = {}) {
    Object.assign(this, { client, config, Notification });
    client.on("message", ({ chat, record }) => this.onMessage(chat, record));
  }

  get available() {
    return typeof this.Notification === "function";
  }

  /** Must run from a user gesture (a click): browsers refuse the prompt otherwise. */
  async enable() {
    if (!this.available) return "unsupported";
    return this.Notification.permission === "default" ? this.Notification.requestPermission() : this.Notification.permission;
  }

  inView(chat) {
    return document.visibilityState === "visible" && window.tandemChat?.chat === chat;
  }

  onMessage(chat, record) {
    if (record.mine || !record.seq || !this.available || this.Notification.permission !== "granted") return;
    if (this.inView(chat)) return;
    if (this.config.chats?.[String(chat)]) return void this.show(chat, record);
    // A chat this page was rendered without (a group the user was just added to): its name
    // first, so the notification is titled as the others are; unanswered, titled by the sender.
    learnChat(this.config, chat, this.client.http)
      .catch(() => null)
      .then(() => this.show(chat, record));
  }

  show(chat, record) {
    const title = this.config.chats?.[String(chat)]?.title ?? displayName(this.config, record.sender);
    const body = this.config.chats?.[String(chat)]?.is_group ? `${displayName(this.config, record.sender)}: ${record.body}` : record.body;
    const notification = new this.Notification(title, { body: body.slice(0, 200), tag: `tandem-chat-${chat}` });
    notification.onclick = () => {
      window.focus();
      const row = document.querySelector(`[data-tandem-chat-row][data-chat="${chat}"]`);
      if (row) row.click();
      notification.close();
    };
  }
}
