// The chats a page knows: those it was rendered with (config.chats, and their members' names in
// config.users) and those it learns of later (a group the user was added to, a first message),
// from GET api/chats/<id>/. One request per chat at a time, shared by whoever asks (the live
// list, desktop notifications), so a new chat's first message is titled with its name.

/** How long a request for a chat (or its row) may take before it counts as not answered. */
export const FETCH_LIMIT_MS = 10_000;

const asking = new WeakMap(); // config → Map(chat → the request under way)

/** The chat's configuration, learnt into `config` if new; null when the user is not (or no longer)
 *  a member; throws when not answered (offline, a 5xx, a redirect to the login page). */
export function learnChat(config, chat) {
  const known = config.chats?.[String(chat)];
  if (known) return Promise.resolve(known);
  let underWay = asking.get(config);
  if (!underWay) asking.set(config, (underWay = new Map()));
  if (!underWay.has(chat)) {
    const request = fetchOrRefused(`${config.api}chats/${chat}/`, "application/json", 403, { "X-Tandem-User": String(config.me.id) })
      .then((response) => response?.json())
      .then((answer) => {
        const about = answer?.chat ?? null;
        if (about) {
          config.chats = { ...config.chats, [String(chat)]: about };
          config.users = { ...config.users, ...about.members };
        }
        return about;
      })
      .finally(() => underWay.delete(chat));
    underWay.set(chat, request);
  }
  return underWay.get(chat);
}

/** The response; null when answered `refusal`; throws when not answered (a 401 included: the
 *  browser's session ended, or names another user than the page's). */
export async function fetchOrRefused(url, accept, refusal, headers = {}) {
  const response = await fetch(url, {
    credentials: "same-origin",
    redirect: "error", // a login redirect (the session ended) is not an answer
    headers: { ...headers, Accept: accept },
    signal: AbortSignal.timeout(FETCH_LIMIT_MS),
  });
  if (response.ok) return response;
  if (response.status === refusal) return null;
  throw new Error(`${url}: ${response.status}`);
}
