// The connection state machine: states, heartbeat from hello, dead links, backoff that never
// gives up, waking on online/visibility, idempotent connect/close.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Connection, State } from "../../django_integration/tandem/static/tandem/core/connection.js";
import { FakeClock, FakeServer, POLICY } from "./fakes.js";

function setup({ graceMs = 5000, random = () => 0.5 } = {}) {
  const clock = new FakeClock();
  const server = new FakeServer();
  const conn = new Connection({ url: "ws://x/ws/notifications/", createSocket: server.createSocket, clock, random, policy: POLICY, graceMs });
  const states = [];
  conn.on("state", (s) => states.push(s.state));
  return { clock, server, conn, states };
}

test("a socket is open only after hello, and connect() twice opens one socket", () => {
  const { server, conn, states } = setup();
  conn.connect();
  conn.connect();
  assert.equal(server.sockets.length, 1);
  assert.equal(conn.state, State.connecting);
  server.last.open();
  assert.equal(conn.state, State.connecting);
  server.accept();
  assert.equal(conn.state, State.open);
  assert.deepEqual(states, ["connecting", "open"]);
});

test("the heartbeat comes from hello and a silent link is dead after heartbeat + grace", () => {
  const { clock, server, conn } = setup({ graceMs: 5000 });
  let dead = null;
  conn.on("dead", (d) => (dead = d));
  conn.connect();
  const socket = server.accept({ heartbeat: 10 });
  // Half-way through the heartbeat the client asks for a sign of life.
  clock.advance(5000);
  assert.deepEqual(socket.sent.at(-1), { type: "ping", ref: "hb" });
  clock.advance(9999); // 14.999 s of silence: still alive
  assert.equal(conn.state, State.open);
  clock.advance(1);
  assert.equal(dead.silentMs, 15000);
  assert.equal(conn.state, State.reconnecting);
  assert.equal(server.sockets.length, 2); // redialled at once
  assert.equal(socket.closedWith, 4000);
});

test("any frame, a pong included, keeps the link alive", () => {
  const { clock, server, conn } = setup({ graceMs: 5000 });
  conn.connect();
  const socket = server.accept({ heartbeat: 10 });
  for (let i = 0; i < 10; i++) {
    clock.advance(5000);
    socket.deliver({ type: "pong", ref: "hb" });
  }
  assert.equal(conn.state, State.open);
  assert.equal(server.sockets.length, 1);
});

test("five fast attempts with exponential backoff, then capped jittered retries forever", () => {
  const delays = [];
  const { clock, server, conn } = setup({ random: () => 0.5 });
  conn.on("state", (s) => s.retryAt && delays.push(s.retryAt - clock.now()));
  conn.connect();
  for (let i = 0; i < 9; i++) {
    server.last.serverClose(1006);
    clock.advance(delays.at(-1));
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
  assert.equal(server.sockets.length, 10);
  assert.equal(conn.state, State.reconnecting);
});

test("the capped retries are jittered so tabs do not return in one wave", () => {
  const low = setup({ random: () => 0 });
  const high = setup({ random: () => 0.999999 });
  for (const s of [low, high]) {
    s.conn.connect();
    for (let i = 0; i < 6; i++) {
      s.server.last.serverClose(1006);
      if (i < 5) s.clock.advance(60000);
    }
  }
  const next = (s) => s.clock.pending().at(-1);
  assert.equal(low.server.sockets.length, 6);
  assert.ok(next(low) >= 14000 && next(low) <= 16000, `low ${next(low)}`);
  assert.ok(next(high) >= 44000 && next(high) <= 45000, `high ${next(high)}`);
});

test("coming online or becoming visible retries at once, from the first attempt", () => {
  const { clock, server, conn } = setup();
  conn.connect();
  for (let i = 0; i < 7; i++) {
    server.last.serverClose(1006);
    clock.advance(clock.pending()[0]);
  }
  server.last.serverClose(1006); // waiting 30 s now
  const before = server.sockets.length;
  conn.wake();
  assert.equal(server.sockets.length, before + 1);
  server.last.serverClose(1006);
  assert.deepEqual(clock.pending(), [1000]); // the fast schedule again
});

test("offline stops dialling until the browser is online again", () => {
  const { clock, server, conn } = setup();
  conn.connect();
  server.last.serverClose(1006);
  conn.offline();
  assert.equal(conn.state, State.offline);
  clock.advance(10 * 60_000);
  assert.equal(server.sockets.length, 1);
  conn.wake();
  assert.equal(server.sockets.length, 2);
  assert.equal(conn.state, State.connecting);
});

test("offline while open probes the link instead of dropping it", () => {
  const { server, conn } = setup();
  conn.connect();
  const socket = server.accept();
  conn.offline();
  assert.equal(conn.state, State.open);
  assert.deepEqual(socket.sent.at(-1), { type: "ping", ref: "hb" });
});

test("becoming visible after timers were frozen declares a long-silent link dead at once", () => {
  const { clock, server, conn } = setup({ graceMs: 5000 });
  conn.connect();
  server.accept({ heartbeat: 10 });
  clock.t += 60_000; // the tab slept: no timer ran
  conn.wake();
  clock.advance(0);
  assert.equal(conn.state, State.reconnecting);
  assert.equal(server.sockets.length, 2);
});

test("a logged-out close stops for good and close() is idempotent", () => {
  const { clock, server, conn, states } = setup();
  conn.connect();
  server.accept();
  server.last.serverClose(4401);
  assert.equal(conn.state, State.loggedOut);
  clock.advance(120_000);
  assert.equal(server.sockets.length, 1);
  conn.close();
  conn.close();
  assert.deepEqual(states, ["connecting", "open", "logged_out", "closed"]);
});

test("close() while waiting to retry cancels the retry", () => {
  const { clock, server, conn } = setup();
  conn.connect();
  server.last.serverClose(1006);
  conn.close();
  clock.advance(120_000);
  assert.equal(server.sockets.length, 1);
  assert.equal(conn.state, State.closed);
  conn.connect();
  assert.equal(server.sockets.length, 2);
});

test("a service restart (1012) reconnects within a second, at a random point", () => {
  for (const [random, expected] of [[0, 0], [0.5, 500], [0.999, 999]]) {
    const { clock, server, conn } = setup({ random: () => random });
    conn.connect();
    server.accept();
    server.last.serverClose(1012);
    assert.deepEqual(clock.pending(), [expected]);
  }
});

test("send() refuses while not open", () => {
  const { server, conn } = setup();
  conn.connect();
  assert.equal(conn.send({ type: "x" }), false);
  server.accept();
  assert.equal(conn.send({ type: "x" }), true);
});

test("a hello for a user other than the page's closes the socket and logs the page out", () => {
  const clock = new FakeClock();
  const server = new FakeServer();
  const conn = new Connection({ url: "ws://x/", createSocket: server.createSocket, clock, policy: POLICY, user: 7 });
  const frames = [];
  conn.on("frame", (f) => frames.push(f));
  conn.connect();
  server.accept({ user: 7 });
  assert.equal(conn.state, State.open);
  server.last.serverClose(1006);
  clock.advance(60_000);
  const socket = server.accept({ user: 8 });
  assert.equal(conn.state, State.loggedOut);
  assert.equal(socket.closedWith, 1000);
  assert.deepEqual(frames.map((f) => f.user_id), [7]); // the other user's hello goes no further
  clock.advance(600_000);
  assert.equal(server.sockets.length, 2);
});

test("resume() dials again only from the logged-out state, and not while the browser is offline", () => {
  const { server, conn, states } = setup();
  conn.connect();
  server.accept();
  conn.resume(); // open: nothing
  assert.equal(server.sockets.length, 1);
  server.last.serverClose(4401, "session ended");
  conn.offline();
  conn.resume();
  assert.equal(server.sockets.length, 1);
  assert.equal(conn.state, State.offline);
  conn.wake(); // back online
  assert.equal(server.sockets.length, 2);
  server.accept();
  assert.deepEqual(states, ["connecting", "open", "logged_out", "offline", "connecting", "open"]);
});
