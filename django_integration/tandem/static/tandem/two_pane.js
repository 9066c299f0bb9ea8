// Two panes on wide screens: the chat list on the left, the conversation on the right, and a
// click on a row switches the conversation without a page load (the tab's client and socket
// stay; the URL follows with history.pushState). On narrow screens, where the site's CSS shows
// one pane, rows are ordinary links and the conversation has a back arrow.
import { startChat } from "./chat.js";

export class TwoPanes {
  constructor(list, pane, client, config) {
    Object.assign(this, { list, pane, client, config });
    this.view = window.tandemChat ?? null;
    list.addEventListener("click", (event) => this.onClick(event));
    window.addEventListener("popstate", () => this.followUrl());
  }

  wide() {
    // Both panes on screen: the list is visible next to the conversation.
    return this.list.offsetParent !== null && this.pane.offsetParent !== null;
  }

  onClick(event) {
    const row = event.target.closest("[data-tandem-chat-row]");
    if (!row || !this.wide() || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    const chat = this.config.chats?.[row.dataset.chat];
    if (!chat) return; // unknown here (created after the page loaded): a normal page load
    event.preventDefault();
    if (this.view?.chat !== chat.id) history.pushState({ chat: chat.id }, "", row.href);
    this.show(chat);
  }

  followUrl() {
    const row = [...this.list.querySelectorAll("[data-tandem-chat-row]")].find((r) => r.href === location.href);
    const chat = row && this.config.chats?.[row.dataset.chat];
    if (chat) this.show(chat);
    else location.reload();
  }

  show(chat) {
    if (this.view?.chat === chat.id) return;
    this.view?.destroy();
    for (const row of this.list.querySelectorAll("[data-tandem-chat-row]")) {
      if (Number(row.dataset.chat) === chat.id) row.setAttribute("aria-current", "page");
      else row.removeAttribute("aria-current");
    }
    this.view = startChat(this.pane, this.client, { ...this.config, chat });
    // The conversation has its own connection banner: one is enough (and one live region).
    for (const host of document.querySelectorAll("[data-tandem-status]")) host.hidden = true;
    // (A replacer function: a title holding "$&" or "$1" is shown as it is.)
    document.title = document.title.replace(/^(\(\d+\) )?.*$/, (_, unread = "") => `${unread}${chat.title} · Tandem chat`);
    this.pane.closest("[data-showing]")?.setAttribute("data-showing", "chat");
    this.pane.querySelector(".tandem-input")?.focus();
  }
}
