// A chat the page was rendered without is learnt once, however many parts of the page ask: its
// configuration joins config.chats and its members' names config.users. The question goes through
// the client's own requests (client.http), so a 401 to it asks Django about the session as any
// other request does.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { FETCH_LIMIT_MS, fetchOrRefused, learnChat } from "../../django_integration/tandem/static/tandem/chat_directory.js";
import { makeClient, ME, settle } from "./client_harness.js";
import { expirableTimeouts, hangingFetch } from "./fakes.js";

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

/** The client's request function answering every frame with `answer` (a failure is thrown). */
function answering(answer, { fails = false } = {}) {
  const asked = [];
  const http = async (frame) => {
    asked.push(frame);
    if (fails) throw answer;
    return answer;
  };
  return { http, asked };
}

const group = { id: 12, title: "Trip", is_group: true, members: { 3: "cy", 7: "me" }, read_upto: 0 };
const newConfig = () => ({ api: "/tandem/api/", me: { id: 7 }, chats: {}, users: { 7: "me" } });

test("an unknown chat is asked for once for everyone asking, and learnt", async () => {
  const config = newConfig();
  const { http, asked } = answering({ type: "chat", chat: group });
  const [a, b] = await Promise.all([learnChat(config, 12, http), learnChat(config, 12, http)]);
  assert.deepEqual(asked, [{ type: "chat", chat: 12 }]);
  assert.deepEqual(a, group);
  assert.equal(b, a);
  assert.equal(config.chats["12"].title, "Trip");
  assert.equal(config.users["3"], "cy");
  assert.equal(await learnChat(config, 12, http), a); // known now: no request
  assert.equal(asked.length, 1);
});

test("only the view's 403 `forbidden` is a refusal; anything else is asked again next time", async () => {
  const config = newConfig();
  const refused = answering({ permanent: true, code: "forbidden", message: "Not a member" }, { fails: true });
  assert.equal(await learnChat(config, 12, refused.http), null);
  const notAnswers = [
    { permanent: false, code: "http_503", message: "HTTP 503" },
    { permanent: true, code: "http_404", message: "HTTP 404" }, // a proxy, a path not routed
    { permanent: true, code: "http_401", message: "HTTP 401" }, // a proxy's own login wall
    { permanent: true, code: "unauthenticated", message: "Not signed in" }, // the session is in question
  ];
  for (const failure of notAnswers) {
    const down = answering(failure, { fails: true });
    await assert.rejects(learnChat(config, 12, down.http));
    await assert.rejects(learnChat(config, 12, down.http));
    assert.equal(down.asked.length, 2, failure.code);
  }
  assert.deepEqual(config.chats, {});
});

test("a 200 that is not the view's answer (a captive portal's page, another chat) is not learnt, and asked again", async () => {
  const config = newConfig();
  for (const answer of [{}, { type: "chat", chat: { ...group, id: 13 } }, null]) {
    await assert.rejects(learnChat(config, 12, answering(answer).http));
  }
  assert.deepEqual(config.chats, {});
  assert.deepEqual(await learnChat(config, 12, answering({ type: "chat", chat: group }).http), group);
});

test("a question not answered within FETCH_LIMIT_MS (10 s) is given up, whatever the client's own limit", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const config = newConfig();
  const asked = [];
  const never = (frame) => (asked.push(frame), new Promise(() => {}));
  const hanging = learnChat(config, 12, never);
  await settle();
  t.mock.timers.tick(FETCH_LIMIT_MS);
  await assert.rejects(hanging, { name: "TimeoutError" });
  const again = learnChat(config, 12, never); // given up, not remembered: asked again
  await settle();
  assert.equal(asked.length, 2);
  t.mock.timers.tick(FETCH_LIMIT_MS);
  await assert.rejects(again, { name: "TimeoutError" });
});

test("a 401 to a chat's question asks Django whether the session ended, and a session ended logs the page out", async () => {
  const asked = [];
  const http = async (frame) => {
    asked.push(frame.type);
    throw { permanent: true, code: "unauthenticated", message: "Not signed in" };
  };
  const h = makeClient({ http });
  const states = [];
  h.client.on("state", (s) => states.push(s));
  await h.client.start();
  const config = { ...newConfig(), me: { id: ME } };
  await assert.rejects(learnChat(config, 12, h.client.http));
  for (let i = 0; i < 5; i++) await settle();
  assert.deepEqual(asked, ["chat", "session"]);
  assert.deepEqual(states.at(-1), { state: "logged_out", code: 4401, reason: "unauthenticated" });
});

test("a chat row's fetch not answered within FETCH_LIMIT_MS (10 s) is given up", async () => {
  const timeouts = expirableTimeouts();
  const asked = [];
  globalThis.fetch = hangingFetch(asked);
  try {
    const hanging = fetchOrRefused("/chats/12/row/", "text/html", 404);
    assert.deepEqual(timeouts.limits, [FETCH_LIMIT_MS]);
    assert.equal(FETCH_LIMIT_MS, 10_000);
    timeouts.expire(0);
    await assert.rejects(hanging, { name: "TimeoutError" });
    assert.deepEqual(asked, ["/chats/12/row/"]);
  } finally {
    timeouts.restore();
  }
});
