// static/sseClient.js: exactly-once delivery across reconnects, close on the terminal event, backoff.
import { test } from "node:test";
import assert from "node:assert/strict";
import { install, settle } from "./fakes.mjs";

const { connect } = await import(new URL("../../../functions/investmind/api/static/sseClient.js", import.meta.url));

function follow(options = {}) {
  const seen = [], ended = [], errors = [], states = [];
  const sub = connect("v1/analyses/t/stream", {
    onEvent: (e) => seen.push(e.seq), onTerminal: (e) => ended.push(e.type), onError: (e) => errors.push(e),
    onState: (s) => states.push(s), random: () => 1, ...options,
  });
  return { sub, seen, ended, errors, states };
}

test("replays after the browser's own reconnect are dropped, and the terminal event closes the stream", async () => {
  const fake = install();
  const run = follow();
  await settle();
  const es = fake.made[0];
  es.open();
  es.emit("task_queued", 1); es.emit("log", 2);
  es.drop();                                  // reconnecting by itself, with Last-Event-ID: not an error
  es.open();
  es.emit("log", 1); es.emit("log", 2);       // the server replays what it had
  es.emit("progress", 3); es.emit("task_completed", 4);
  es.emit("log", 5);                          // nothing is delivered after the terminal event

  assert.deepEqual(run.seen, [1, 2, 3, 4]);
  assert.deepEqual(run.ended, ["task_completed"]);
  assert.deepEqual(run.errors, []);
  assert.deepEqual(run.states, ["live", "reconnecting", "live", "ended"]);
  assert.equal(es.readyState, 2);
  assert.equal(run.sub.lastSeq, 4);
  assert.equal(run.sub.closed, true);
  assert.equal(fake.made.length, 1);
});

test("a refused stream is asked for its status: 5xx backs off and resumes after the last seq with a fresh token", async () => {
  const fake = install({ statuses: [503, 503, 200] });
  let tokens = 0;
  const run = follow({ after: 7, getStreamToken: () => `tok-${++tokens}`, baseDelayMs: 100, maxDelayMs: 1000 });
  await settle();
  assert.equal(fake.made[0].url, "http://host/console/v1/analyses/t/stream?after=7&token=tok-1");
  fake.made[0].open();
  fake.made[0].emit("log", 8);
  fake.made[0].refuse();
  await settle();

  assert.equal(fake.fetched.length, 1);
  assert.equal(fake.fetched[0].init.headers.Accept, "text/event-stream");
  assert.deepEqual(fake.timers.map((t) => t.ms), [0]);       // the first retry is immediate
  fake.timers[0].fn();
  await settle();
  assert.equal(fake.made[1].url, "http://host/console/v1/analyses/t/stream?after=8&token=tok-2");
  fake.made[1].refuse();
  await settle();
  assert.deepEqual(fake.timers.map((t) => t.ms), [0, 100]);  // then the backoff grows
  fake.timers[1].fn();
  await settle();
  fake.made[2].refuse();                                      // answers 200 now: reconnect at once
  await settle();
  assert.deepEqual(fake.timers.map((t) => t.ms), [0, 100, 0]);
  fake.timers[2].fn();
  await settle();
  fake.made[3].open();
  fake.made[3].emit("log", 8); fake.made[3].emit("task_failed", 9);

  assert.deepEqual(run.seen, [8, 9]);
  assert.deepEqual(run.errors, []);
  assert.equal(run.states.at(-1), "ended");
});

test("a 204 means the analysis ended with nothing after the position: ended, no error", async () => {
  const fake = install({ statuses: [204] });
  const run = follow({ after: 40 });
  await settle();
  fake.made[0].refuse();
  await settle();

  assert.deepEqual(run.errors, []);
  assert.equal(run.sub.state, "ended");
  assert.equal(run.sub.closed, true);
  assert.equal(fake.timers.length, 0);
});

test("401, 403 and 404 are final: one error, no retry", async () => {
  for (const status of [401, 403, 404]) {
    const fake = install({ statuses: [status] });
    const run = follow();
    await settle();
    fake.made[0].refuse();
    await settle();

    assert.equal(run.errors.length, 1);
    assert.equal(run.errors[0].status, status);
    assert.equal(run.sub.state, "failed");
    assert.equal(fake.timers.length, 0);
  }
});

test("it gives up after maxAttempts failures in a row, and close() stops everything", async () => {
  const fake = install({ statuses: [new Error("offline"), new Error("offline"), new Error("offline")] });
  const run = follow({ maxAttempts: 2 });
  await settle();
  for (let attempt = 0; attempt < 3; attempt++) {
    fake.made.at(-1).refuse();
    await settle();
    if (fake.timers[attempt]) { fake.timers[attempt].fn(); await settle(); }
  }
  assert.equal(run.errors.length, 1);
  assert.match(run.errors[0].message, /offline/);
  assert.equal(run.sub.state, "failed");

  const other = install();
  const closing = follow();
  await settle();
  closing.sub.close();
  other.made[0].emit("log", 1);
  assert.deepEqual(closing.seen, []);
});

test("an event that is not JSON fails the stream instead of being skipped silently", async () => {
  const fake = install();
  const run = follow();
  await settle();
  fake.made[0].dispatch("log", { lastEventId: "1", data: "{not json" });
  assert.equal(run.errors.length, 1);
  assert.deepEqual(run.seen, []);
});
