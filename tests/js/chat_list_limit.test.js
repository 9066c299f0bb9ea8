// The live list fetches the rows of chats it did not know a few at a time: chats made in bulk for
// people online must not send every open tab's requests at once.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Limit } from "../../django_integration/tandem/static/tandem/chat_list.js";

test("a limit runs at most its size at once, the rest in the order they came", async () => {
  const limit = new Limit(2);
  let running = 0;
  let most = 0;
  const order = [];
  const releases = [];
  const task = (n) => () =>
    new Promise((done) => {
      running += 1;
      most = Math.max(most, running);
      order.push(n);
      releases.push(() => {
        running -= 1;
        done(n);
      });
    });
  const all = Promise.all([1, 2, 3, 4, 5].map((n) => limit.run(task(n))));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, [1, 2]);
  while (releases.length) {
    releases.shift()();
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(await all, [1, 2, 3, 4, 5]);
  assert.deepEqual(order, [1, 2, 3, 4, 5]);
  assert.equal(most, 2);
});

test("a task that fails frees its place", async () => {
  const limit = new Limit(1);
  await assert.rejects(limit.run(() => Promise.reject(new Error("offline"))));
  assert.equal(await limit.run(() => Promise.resolve("next")), "next");
});
