// A chat the page was rendered without is learnt once, however many parts of the page ask: its
// configuration joins config.chats and its members' names config.users.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { FETCH_LIMIT_MS, learnChat } from "../../django_integration/tandem/static/tandem/chat_directory.js";
import { expirableTimeouts, hangingFetch } from "./fakes.js";

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

const named = []; // the user each request named (the page's: Django refuses another's)

function answering(status, body) {
  const asked = [];
  globalThis.fetch = async (url, { headers }) => {
    asked.push(url);
    named.push(headers["X-Tandem-User"]);
    return { ok: status === 200, status, json: async () => body };
  };
  return asked;
}

const group = { id: 12, title: "Trip", is_group: true, members: { 3: "cy", 7: "me" }, read_upto: 0 };

test("an unknown chat is fetched once for everyone asking, and learnt", async () => {
  const config = { api: "/tandem/api/", me: { id: 7 }, chats: {}, users: { 7: "me" } };
  const asked = answering(200, { type: "chat", chat: group });
  const [a, b] = await Promise.all([learnChat(config, 12), learnChat(config, 12)]);
  assert.deepEqual(asked, ["/tandem/api/chats/12/"]);
  assert.equal(named.at(-1), "7");
  assert.deepEqual(a, group);
  assert.equal(b, a);
  assert.equal(config.chats["12"].title, "Trip");
  assert.equal(config.users["3"], "cy");
  assert.equal(await learnChat(config, 12), a); // known now: no request
  assert.equal(asked.length, 1);
});

test("a refused chat is null; an unanswered one throws and is asked again next time", async () => {
  const config = { api: "/tandem/api/", me: { id: 7 }, chats: {}, users: {} };
  answering(403, { type: "error", code: "forbidden" });
  assert.equal(await learnChat(config, 12), null);
  const asked = answering(503, {});
  await assert.rejects(learnChat(config, 12));
  await assert.rejects(learnChat(config, 12));
  assert.equal(asked.length, 2);
});

test("a request not answered within FETCH_LIMIT_MS (10 s) is given up, and asked again next time", async () => {
  const config = { api: "/tandem/api/", me: { id: 7 }, chats: {}, users: {} };
  // The 10 s clock is AbortSignal.timeout's: each request's signal is one the test expires.
  const timeouts = expirableTimeouts();
  const asked = [];
  globalThis.fetch = hangingFetch(asked);
  try {
    const hanging = learnChat(config, 12);
    assert.deepEqual(timeouts.limits, [FETCH_LIMIT_MS]);
    assert.equal(FETCH_LIMIT_MS, 10_000);
    timeouts.expire(0);
    await assert.rejects(hanging, { name: "TimeoutError" });
    const again = learnChat(config, 12); // given up, not remembered: asked again
    assert.equal(asked.length, 2);
    timeouts.expire(1);
    await assert.rejects(again);
  } finally {
    timeouts.restore();
  }
});
