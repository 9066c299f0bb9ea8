// The HTTP fallback names the page's user on every request: Django refuses (401) a request whose
// browser cookie is someone else's by now (docs/protocol.md, "HTTP fallback").
import assert from "node:assert/strict";
import { test } from "node:test";

import { httpFallback } from "../../django_integration/tandem/static/tandem/core/http_fallback.js";

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
