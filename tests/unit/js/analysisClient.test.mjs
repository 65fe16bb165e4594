// static/analysisClient.js: URLs, the Bearer token, the API's error shape, the stream token.
import { test } from "node:test";
import assert from "node:assert/strict";
import { install } from "./fakes.mjs";

const { ApiError, createClient } = await import(new URL("../../../functions/investmind/api/static/analysisClient.js", import.meta.url));

function recorder(answers) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url: String(url), init });
    const [status, body] = answers.shift() ?? [200, {}];
    return { status, ok: status < 300, statusText: "x", json: async () => body };
  };
  return { calls, fetch };
}

test("requests go under the base URL with the query, the body and no Authorization without a token", async () => {
  install();
  const { calls, fetch } = recorder([[202, { task_id: "a" }], [200, { items: [], next_cursor: null }]]);
  const client = createClient({ baseUrl: "https://api.example.com/stage/", fetch });

  assert.deepEqual(await client.submit({ symbol: "601318" }, { idempotencyKey: "k1" }), { task_id: "a" });
  await client.list({ status: "RUNNING", limit: 5, cursor: undefined });

  assert.equal(calls[0].url, "https://api.example.com/stage/v1/analyses");
  assert.equal(calls[0].init.method, "POST");
  assert.equal(calls[0].init.body, '{"symbol":"601318"}');
  assert.equal(calls[0].init.headers["Idempotency-Key"], "k1");
  assert.equal(calls[0].init.headers.Authorization, undefined);
  assert.equal(calls[1].url, "https://api.example.com/stage/v1/analyses?status=RUNNING&limit=5");
});

test("getToken is asked before every request and sent as Bearer", async () => {
  install();
  const { calls, fetch } = recorder([]);
  let n = 0;
  const client = createClient({ getToken: async () => `key-${++n}`, fetch });
  await client.get("abc");
  await client.bars("abc", { limit: 60 });

  assert.equal(calls[0].init.headers.Authorization, "Bearer key-1");
  assert.equal(calls[1].init.headers.Authorization, "Bearer key-2");
  assert.equal(calls[1].url, "http://host/console/v1/analyses/abc/bars?limit=60");
});

test("an error answer is thrown as ApiError with the API's code and details", async () => {
  install();
  const { fetch } = recorder([[422, { error: { code: "unknown_symbol", message: "no data", details: { symbol: "688999.SH" } } }],
    [502, null]]);
  const client = createClient({ fetch });

  await assert.rejects(client.submit({ symbol: "688999" }), (error) =>
    error instanceof ApiError && error.status === 422 && error.code === "unknown_symbol" && error.details.symbol === "688999.SH");
  await assert.rejects(client.get("x"), (error) => error instanceof ApiError && error.code === "http_502");
});

test("the stream token comes from POST …/stream-token when signed in, and follow() puts it on the stream URL", async () => {
  const fake = install();
  const { calls, fetch } = recorder([[200, { token: "st-1", expires_at: "2026-01-01T00:05:00Z" }]]);
  const signedIn = createClient({ token: "key", fetch });
  assert.equal(await signedIn.streamToken("abc"), "st-1");
  assert.equal(calls.length, 1);
  assert.equal(calls[0].init.method, "POST");
  assert.equal(calls[0].url, "http://host/console/v1/analyses/abc/stream-token");

  const local = createClient({ fetch });
  assert.equal(await local.streamToken("abc"), null);           // no key: no request, no parameter
  local.follow("abc", {});
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(fake.made[0].url, "http://host/console/v1/analyses/abc/stream");
  assert.equal(calls.length, 1);
});
