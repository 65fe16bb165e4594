// static/oauth.js: the PKCE code flow against a recording authorization server (the real one, Cognito,
// cannot run here; tests/e2e drives the whole flow in Chromium).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, webcrypto } from "node:crypto";

const { challengeOf, createOAuth, newVerifier } = await import(new URL("../../../functions/investmind/api/static/oauth.js", import.meta.url));

const CLIENT = {
  authorize_url: "https://auth.example.com/oauth2/authorize", token_url: "https://auth.example.com/oauth2/token",
  logout_url: "https://auth.example.com/logout", client_id: "console", scopes: ["openid", "email"],
};

class MemoryStorage {
  constructor() { this.items = new Map(); }
  getItem(k) { return this.items.has(k) ? this.items.get(k) : null; }
  setItem(k, v) { this.items.set(k, String(v)); }
  removeItem(k) { this.items.delete(k); }
}

function world({ answers = [], now = 1_000_000 } = {}) {
  const w = { storage: new MemoryStorage(), pending: new MemoryStorage(), assigned: [], posts: [], time: now };
  w.location = { href: "https://app.example.com/console/?x=1#/analyses", assign: (url) => w.assigned.push(new URL(url)) };
  w.fetch = async (url, init) => {
    w.posts.push({ url: String(url), form: Object.fromEntries(new URLSearchParams(init.body)) });
    const [status, body] = answers.shift() ?? [500, {}];
    return { status, ok: status < 300, json: async () => body };
  };
  w.oauth = createOAuth(CLIENT, { storage: w.storage, pendingStorage: w.pending, location: w.location, fetch: w.fetch,
    crypto: webcrypto, now: () => w.time });
  return w;
}

test("the S256 challenge is RFC 7636's own example (appendix B)", async () => {
  assert.equal(await challengeOf("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", webcrypto), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  const verifier = newVerifier(webcrypto);
  assert.match(verifier, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(verifier, newVerifier(webcrypto));
});

test("sign-in sends the browser to authorize with a challenge of a verifier that only the token request carries", async () => {
  const w = world({ answers: [[200, { access_token: "at1", refresh_token: "rt1", expires_in: 3600 }]] });
  await w.oauth.signIn("#/analyses/abc");

  const [url] = w.assigned;
  const q = Object.fromEntries(url.searchParams);
  assert.equal(`${url.origin}${url.pathname}`, CLIENT.authorize_url);
  assert.deepEqual([q.response_type, q.client_id, q.code_challenge_method, q.scope], ["code", "console", "S256", "openid email"]);
  assert.equal(q.redirect_uri, "https://app.example.com/console/", "this page, without its query or hash");
  assert.ok(!JSON.stringify(q).includes(JSON.parse(w.pending.getItem("investmind.oauth.pending")).verifier), "the verifier stays here");

  w.location.href = `https://app.example.com/console/?code=c0de&state=${q.state}`;
  assert.deepEqual(await w.oauth.complete(), { returnTo: "#/analyses/abc" });

  const [post] = w.posts;
  assert.equal(post.url, CLIENT.token_url);
  assert.deepEqual([post.form.grant_type, post.form.code, post.form.client_id, post.form.redirect_uri],
    ["authorization_code", "c0de", "console", q.redirect_uri]);
  const digest = createHash("sha256").update(post.form.code_verifier).digest("base64url");
  assert.equal(digest, q.code_challenge, "the verifier sent answers the challenge");
  assert.equal(await w.oauth.accessToken(), "at1");
  assert.ok(w.oauth.signedIn());
});

test("an answer whose state was not issued here is refused and signs no one in", async () => {
  const w = world({ answers: [[200, { access_token: "stolen", expires_in: 3600 }]] });
  await w.oauth.signIn();
  w.location.href = "https://app.example.com/console/?code=c0de&state=forged";

  await assert.rejects(w.oauth.complete(), /does not match/);
  assert.equal(w.posts.length, 0);
  assert.equal(await w.oauth.accessToken(), null);
});

test("a refusal from the authorization server is an error; a page without an answer is not a sign-in", async () => {
  const w = world();
  assert.equal(await w.oauth.complete(), null);
  w.location.href = "https://app.example.com/console/?error=access_denied&error_description=User+cancelled";
  await assert.rejects(w.oauth.complete(), /User cancelled/);
});

test("a token about to expire is refreshed once, keeping the refresh token the server did not rotate", async () => {
  const w = world({ answers: [[200, { access_token: "at1", refresh_token: "rt1", expires_in: 3600 }], [200, { access_token: "at2", expires_in: 3600 }]] });
  await w.oauth.signIn();
  w.location.href = `https://app.example.com/?code=c&state=${w.assigned[0].searchParams.get("state")}`;
  await w.oauth.complete();

  w.time += 3600_000 - 30_000; // within the minute before expiry
  assert.equal(await w.oauth.accessToken(), "at2");
  assert.deepEqual([w.posts[1].form.grant_type, w.posts[1].form.refresh_token], ["refresh_token", "rt1"]);
  assert.equal(await w.oauth.accessToken(), "at2", "no second refresh while the new token is fresh");
  assert.equal(w.posts.length, 2);
  assert.equal(JSON.parse(w.storage.getItem("investmind.oauth.tokens")).refresh_token, "rt1");
});

test("a refused refresh signs out instead of failing every request", async () => {
  const w = world({ answers: [[200, { access_token: "at1", refresh_token: "rt1", expires_in: 60 }], [400, { error: "invalid_grant" }]] });
  await w.oauth.signIn();
  w.location.href = `https://app.example.com/?code=c&state=${w.assigned[0].searchParams.get("state")}`;
  await w.oauth.complete();

  assert.equal(await w.oauth.accessToken(), null);
  assert.equal(w.oauth.signedIn(), false);
});

test("sign-out forgets the tokens and ends the server's session", async () => {
  const w = world({ answers: [[200, { access_token: "at1", expires_in: 3600 }]] });
  await w.oauth.signIn();
  w.location.href = `https://app.example.com/?code=c&state=${w.assigned[0].searchParams.get("state")}`;
  await w.oauth.complete();

  w.oauth.signOut();
  const logout = w.assigned.at(-1);
  assert.equal(`${logout.origin}${logout.pathname}`, CLIENT.logout_url);
  assert.equal(logout.searchParams.get("client_id"), "console");
  assert.equal(w.oauth.signedIn(), false);
});
