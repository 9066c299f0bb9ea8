// The HTTP fallback names the page's user on every request: Django refuses (401) a request whose
// browser cookie is someone else's by now (docs/protocol.md, "HTTP fallback").
import assert from "node:assert/strict";
import { test } from "node:test";

import { httpFallback } from "../../django_integration/tandem/static/tandem/core/http_fallback.js";
import { expirableTimeouts, hangingFetch } from "./fakes.js";

function recording(status, payload = {}) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, ...init });
    return { ok: status < 400, status, json: async () => payload, headers: new Map() };
  };
  return { calls, fetch };
}

test("every request names the page's user; a POST carries the CSRF token as well", async () => {
  const { calls, fetch } = recording(200, { type: "history", messages: [] });
  const http = httpFallback({ fetch, api: "/tandem/api/", csrfToken: "tok", user: 7 });
  await http({ type: "history", chat: 3, limit: 5 });
  await http({ type: "send", chat: 3, client_id: "c-1", body: "hi" });
  await http({ type: "chat", chat: 3 });
  assert.deepEqual(
    calls.map((c) => c.headers["X-Tandem-User"]),
    ["7", "7", "7"],
  );
  assert.equal(calls[1].headers["X-CSRFToken"], "tok");
});

test("a 401 is permanent and says unauthenticated", async () => {
  const { fetch } = recording(401, { type: "error", code: "unauthenticated", message: "Not signed in" });
  const http = httpFallback({ fetch, api: "/tandem/api/", csrfToken: "tok", user: 7 });
  await assert.rejects(http({ type: "send", chat: 3, client_id: "c-1", body: "hi" }), {
    permanent: true,
    code: "unauthenticated",
  });
});

function scripted(...responses) {
  // fetch answering each call with the next of `responses` ({status, json, type}).
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, ...init });
    const { status, json = {}, type = "application/json" } = responses.shift();
    return { ok: status < 400, status, json: async () => json, headers: new Map([["Content-Type", type]]) };
  };
  return { calls, fetch };
}

test("a fresher CSRF token is used from then on; redirects are no answer; the session question has a time limit", async () => {
  const { calls, fetch } = scripted({ status: 200, json: { type: "ack" } }, { status: 200, json: { type: "session", user: 7 } });
  const http = httpFallback({ fetch, api: "/tandem/api/", csrfToken: "old", user: 7 });
  http.useCsrfToken("fresh");
  await http({ type: "send", chat: 3, client_id: "c-1", body: "hi" });
  await http({ type: "session" });
  assert.equal(calls[0].headers["X-CSRFToken"], "fresh");
  assert.equal(calls[0].redirect, "manual"); // a login page must never pass for an ack
  assert.equal(calls[1].url, "/tandem/api/session/");
  assert.ok(calls[1].signal instanceof AbortSignal); // a hung answer cannot keep the page waiting
});

test("Django's CSRF refusal (a login in another tab rotated the token) is answered with the session's token, once", async () => {
  const { calls, fetch } = scripted(
    { status: 403, type: "text/html" }, // CsrfViewMiddleware's page
    { status: 200, json: { type: "session", user: 7, csrf_token: "rotated" } },
    { status: 201, json: { type: "ack", client_id: "c-1" } },
  );
  const http = httpFallback({ fetch, api: "/tandem/api/", csrfToken: "old", user: 7 });
  const ack = await http({ type: "send", chat: 3, client_id: "c-1", body: "hi" });
  assert.equal(ack.client_id, "c-1");
  assert.deepEqual(
    calls.map((c) => [c.method, c.url, c.headers["X-CSRFToken"]]),
    [
      ["POST", "/tandem/api/chats/3/messages/", "old"],
      ["GET", "/tandem/api/session/", undefined],
      ["POST", "/tandem/api/chats/3/messages/", "rotated"],
    ],
  );
});

test("a CSRF refusal whose session is someone else's now is unauthenticated; the API's own 403 is permanent as before", async () => {
  const other = scripted({ status: 403, type: "text/html" }, { status: 200, json: { type: "session", user: 8, csrf_token: "theirs" } });
  const http = httpFallback({ fetch: other.fetch, api: "/tandem/api/", csrfToken: "old", user: 7 });
  await assert.rejects(http({ type: "send", chat: 3, client_id: "c-1", body: "hi" }), { code: "unauthenticated", permanent: true });
  assert.equal(other.calls.length, 2); // never sent with the other user's token
  const refused = scripted({ status: 403, json: { type: "error", code: "forbidden", message: "Not a member" } });
  const api = httpFallback({ fetch: refused.fetch, api: "/tandem/api/", csrfToken: "t", user: 7 });
  await assert.rejects(api({ type: "send", chat: 3, client_id: "c-1", body: "hi" }), { code: "forbidden", permanent: true });
  assert.equal(refused.calls.length, 1);
});

test("a redirect (a login wall in front of the site) is unauthenticated, never an answer", async () => {
  const { fetch } = scripted({ status: 0, type: "" });
  const redirected = async (...args) => Object.assign(await fetch(...args), { type: "opaqueredirect" });
  const http = httpFallback({ fetch: redirected, api: "/tandem/api/", csrfToken: "t", user: 7 });
  await assert.rejects(http({ type: "send", chat: 3, client_id: "c-1", body: "hi" }), { code: "unauthenticated", permanent: true });
});

test("a token the fallback fetched itself (after a CSRF refusal) is handed to whoever listens", async () => {
  const { fetch } = scripted(
    { status: 403, type: "text/html" },
    { status: 200, json: { type: "session", user: 7, csrf_token: "rotated" } },
    { status: 201, json: { type: "ack", client_id: "c-1" } },
  );
  const http = httpFallback({ fetch, api: "/tandem/api/", csrfToken: "old", user: 7 });
  const told = [];
  http.onCsrfToken = (t) => told.push(t);
  await http({ type: "send", chat: 3, client_id: "c-1", body: "hi" });
  assert.deepEqual(told, ["rotated"]);
});

test("a request not answered within its limit (httpTimeoutMs, 30 s by default) is given up as unanswered", async () => {
  const timeouts = expirableTimeouts();
  const fetch = hangingFetch();
  try {
    const byDefault = httpFallback({ fetch, api: "/tandem/api/", csrfToken: "t", user: 7 });
    const hung = byDefault({ type: "send", chat: 3, client_id: "c-1", body: "hi" });
    const sessionByDefault = byDefault({ type: "session" });
    const configured = httpFallback({ fetch, api: "/tandem/api/", csrfToken: "t", user: 7, limitMs: 5_000 });
    const session = configured({ type: "session" });
    // The session question: its own 10 s, or the request limit when that is shorter.
    assert.deepEqual(timeouts.limits, [30_000, 10_000, 5_000]);
    for (const i of [0, 1, 2]) timeouts.expire(i);
    // Not permanent: the request tracker keeps a send for the next socket.
    await assert.rejects(hung, { permanent: false, code: "network" });
    await assert.rejects(sessionByDefault, { permanent: false, code: "network" });
    await assert.rejects(session, { permanent: false, code: "network" });
  } finally {
    timeouts.restore();
  }
});
