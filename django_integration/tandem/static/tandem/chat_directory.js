// The chats a page knows: those it was rendered with (config.chats, and their members' names in
// config.users) and those it learns of later (a group the user was added to, a first message),
// from GET api/chats/<id>/. One request per chat at a time, shared by whoever asks (the live
// list, desktop notifications), so a new chat's first message is titled with its name.
//
// The request goes through the client's own (client.http): it names the page's user, keeps to
// the client's time limit (settings.TANDEM_CLIENT httpTimeoutMs) and a 401 asks Django whether the
// session ended, as for any other request of the page's (a fetch of its own read a 401 as "not
// answered" and asked again with every message, while the page went on as signed in).

/** How long a request for a chat's row (the site's markup) may take before it counts as not
 *  answered. */
export const FETCH_LIMIT_MS = 10_000;

const asking = new WeakMap(); // config → Map(chat → the request under way)

/** The chat's configuration, learnt into `config` if new; null when the user is not (or no longer)
 *  a member (a 403, or any refusal resending cannot change); throws when not answered (offline,
 *  a 5xx, the time limit, a 401). `http` is the client's request function (client.http). */
export function learnChat(config, chat, http) {
  const known = config.chats?.[String(chat)];
  if (known) return Promise.resolve(known);
  let underWay = asking.get(config);
  if (!underWay) asking.set(config, (underWay = new Map()));
  if (!underWay.has(chat)) {
    const request = Promise.resolve()
      .then(() => {
        if (!http) throw new Error("no HTTP path to Django");
        return http({ type: "chat", chat });
      })
      .then(
        (answer) => {
          const about = answer?.chat ?? null;
          if (about) {
            config.chats = { ...config.chats, [String(chat)]: about };
            config.users = { ...config.users, ...about.members };
          }
          return about;
        },
        (failure) => {
          if (failure?.permanent && failure.code !== "unauthenticated") return null;
          throw failure;
        },
      )
      .finally(() => underWay.delete(chat));
    underWay.set(chat, request);
  }
  return underWay.get(chat);
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
