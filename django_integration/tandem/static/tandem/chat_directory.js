// The chats a page knows: those it was rendered with (config.chats, and their members' names in
// config.users) and those it learns of later (a group the user was added to, a first message),
// from GET api/chats/<id>/. One request per chat at a time, shared by whoever asks (the live
// list, desktop notifications), so a new chat's first message is titled with its name.
//
// The request goes through the client's own (client.http): it names the page's user, and a 401
// (or a redirect to a login page) asks Django whether the session ended, as for any other request
// of the page's: the page is logged out if it did (a fetch of its own read a 401 as "not answered"
// and asked again with every message, while the page went on as signed in).

/** How long a chat's question, and the fetch of its row (the site's markup), may take before it
 *  counts as not answered (the client's own limit, httpTimeoutMs, may be longer, or none). */
export const FETCH_LIMIT_MS = 10_000;

const asking = new WeakMap(); // config → Map(chat → the request under way)

/** The chat's configuration, learnt into `config` if new; null when the view refuses it (its
 *  403 `forbidden`: not, or no longer, a member, or no such chat); throws when not answered
 *  (offline, a 5xx, any other status (a proxy's, a path not routed), an answer that is not the
 *  view's, FETCH_LIMIT_MS, a 401 after which the session is asked). `http` is the client's
 *  request function (client.http). */
export function learnChat(config, chat, http) {
  const known = config.chats?.[String(chat)];
  if (known) return Promise.resolve(known);
  let underWay = asking.get(config);
  if (!underWay) asking.set(config, (underWay = new Map()));
  if (!underWay.has(chat)) {
    const question = http ? http({ type: "chat", chat }) : Promise.reject(new Error("no HTTP path to Django"));
    const request = withinLimit(question)
      .then(
        (answer) => {
          // A 200 that is not the view's JSON (a captive portal, a truncated body) says nothing.
          if (answer?.type !== "chat" || answer.chat?.id !== chat) throw new Error(`chat ${chat}: not the view's answer`);
          const about = answer.chat;
          config.chats = { ...config.chats, [String(chat)]: about };
          config.users = { ...config.users, ...about.members };
          return about;
        },
        (failure) => {
          if (failure?.code === "forbidden") return null;
          throw failure;
        },
      )
      .finally(() => underWay.delete(chat));
    underWay.set(chat, request);
  }
  return underWay.get(chat);
}

/** `promise`, or a TimeoutError after FETCH_LIMIT_MS: a question that hangs must not hold the
 *  chat's notification or the list's fetch slot (the request itself runs on to its own limit). */
function withinLimit(promise) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new DOMException(`no answer within ${FETCH_LIMIT_MS} ms`, "TimeoutError")), FETCH_LIMIT_MS);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** The response; null when answered `refusal`; throws when not answered (a redirect included:
 *  the browser's session ended). For the site's own pages (a chat's row); Tandem's API goes
 *  through the client (learnChat). */
export async function fetchOrRefused(url, accept, refusal) {
  const response = await fetch(url, {
    credentials: "same-origin",
    redirect: "error", // a login redirect (the session ended) is not an answer
    headers: { Accept: accept },
    signal: AbortSignal.timeout(FETCH_LIMIT_MS),
  });
  if (response.ok) return response;
  if (response.status === refusal) return null;
  throw new Error(`${url}: ${response.status}`);
}
