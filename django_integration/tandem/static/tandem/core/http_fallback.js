// The Django HTTP views (docs/protocol.md, "HTTP fallback") as one function that takes the same
// frame the socket would and resolves with the same answer frame, so the request tracker can
// switch paths without the rest of the client knowing. Failures are typed: `permanent` (4xx:
// resending cannot help) or retryable, with `retryAfterMs` when the server said when.
//
// Each request names the page's user (`X-Tandem-User`): the browser's cookie may name someone
// else by now (a logout and a login in another tab), and Django then answers 401.

/** How long the session question (after a 4401, or to refresh the CSRF token) may take before
 *  it counts as not answered: a hung answer must not keep the page "connecting". */
export const SESSION_ASK_LIMIT_MS = 10_000;

/** How long any other request may take (settings.TANDEM_CLIENT `httpTimeoutMs`): given up, it
 *  counts as unanswered, so a send stays in the outbox and goes on the next socket. */
export const REQUEST_LIMIT_MS = 30_000;

export function httpFallback({ fetch, api, csrfToken, user, limitMs: requestLimitMs = REQUEST_LIMIT_MS }) {
  let token = csrfToken; // replaced by a fresher one after a login again (useCsrfToken, or a 403)
  const named = user === undefined ? {} : { "X-Tandem-User": String(user) };
  const call = async (method, path, body, { limitMs = requestLimitMs, again = false } = {}) => {
    let response;
    try {
      response = await fetch(api + path, {
        method,
        credentials: "same-origin",
        // A redirect (a login wall in front of the site: Tandem's views answer 401 themselves)
        // means not signed in; its page must never pass for an ack.
        redirect: "manual",
        headers: body ? { ...named, "Content-Type": "application/json", "X-CSRFToken": token } : named,
        body: body ? JSON.stringify(body) : undefined,
        signal: limitMs ? AbortSignal.timeout?.(limitMs) : undefined, // (older browsers: no limit)
      });
    } catch (cause) {
      throw { permanent: false, code: "network", message: String(cause) };
    }
    if (response.type === "opaqueredirect" || (response.status >= 300 && response.status < 400)) {
      throw { permanent: true, code: "unauthenticated", message: "Redirected to a login page" };
    }
    if (response.status === 204) return null;
    const isJson = (response.headers.get("Content-Type") ?? "").includes("json");
    if (response.status === 403 && body && !isJson && !again) {
      // Django's CSRF refusal (its HTML page; the API's own refusals are JSON): a login in
      // another tab rotated the token. The session's token, if it still signs in the page's
      // user (a 401 otherwise), and the request once more.
      await refreshToken();
      return call(method, path, body, { again: true });
    }
    const payload = await response.json().catch(() => ({}));
    if (response.ok) return payload;
    const retryAfter = Number(response.headers.get("Retry-After"));
    const permanent = response.status < 500 && response.status !== 429 && response.status !== 408;
    throw {
      permanent,
      code: payload.code || `http_${response.status}`,
      message: payload.message || `HTTP ${response.status}`,
      retryAfterMs: retryAfter > 0 ? retryAfter * 1000 : undefined,
    };
  };
  const askSession = () => call("GET", "session/", undefined, { limitMs: Math.min(SESSION_ASK_LIMIT_MS, requestLimitMs) });
  const refreshToken = async () => {
    const session = await askSession();
    if (user !== undefined && Number(session?.user) !== Number(user)) {
      throw { permanent: true, code: "unauthenticated", message: "Signed in as someone else" };
    }
    if (session?.csrf_token) {
      token = session.csrf_token;
      http.onCsrfToken?.(token); // the page's own forms need it too
    }
  };
  const http = (frame) => {
    const base = `chats/${frame.chat}/`;
    switch (frame.type) {
      case "send":
        return call("POST", `${base}messages/`, { client_id: frame.client_id, body: frame.body });
      case "history": {
        const query = new URLSearchParams();
        if (frame.before) query.set("before", frame.before);
        if (frame.limit) query.set("limit", frame.limit);
        return call("GET", `${base}messages/?${query}`);
      }
      case "sync":
        return call("GET", `${base}messages/?after=${frame.after}`);
      case "delivered":
      case "read":
        return call("POST", `${base}receipts/`, { kind: frame.type, upto: frame.upto });
      case "chat": // the chat's configuration: a member gets it, anyone else a 403 `forbidden`
        return call("GET", base);
      case "info": // who a message reached and who read it (its sender only)
        return call("GET", `${base}messages/${frame.seq}/info/`);
      case "session": // still signed in as the page's user? {user, csrf_token}, or a 401
        return askSession();
      default:
        return Promise.reject({ permanent: true, code: "unknown_type", message: frame.type });
    }
  };
  http.useCsrfToken = (fresh) => {
    if (fresh) token = fresh;
  };
  http.onCsrfToken = null; // set by the client: told of a token this fallback fetched itself
  return http;
}
