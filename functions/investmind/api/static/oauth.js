// Browser sign-in by the OAuth 2 authorization-code flow with PKCE (RFC 7636, S256), for a public client
// such as the template's Cognito app client: no client secret in the page, the code is useless without
// the verifier that never leaves this browser. A plain ES module (docs/frontend.md); `GET auth/config`
// says whether the deployment has an authorization server (`createOAuth(config.oauth)`).

/**
 * @typedef {{authorize_url: string, token_url: string, logout_url: string, client_id: string, scopes: string[]}} OAuthClient
 * @typedef {{access_token: string, refresh_token: string|null, expires_at: number}} Tokens
 * @typedef {object} OAuthOptions
 * @property {string} [redirectUri]  where the authorization server sends the browser back (default: this page, no query)
 * @property {Storage} [storage]  where tokens are kept (default: localStorage; the pending request always uses sessionStorage)
 * @property {Storage} [pendingStorage]
 * @property {{href: string, assign(url: string): void}} [location]
 * @property {typeof fetch} [fetch]
 * @property {Crypto} [crypto]
 * @property {() => number} [now]  ms since the epoch
 */

const TOKENS = "investmind.oauth.tokens";
const PENDING = "investmind.oauth.pending";
const EXPIRY_MARGIN_MS = 60_000; // refresh a minute early: a request must not carry a token that expires in flight

const base64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

/** A fresh code verifier: 32 random bytes, base64url (43 characters, within RFC 7636's 43-128). */
export function newVerifier(crypto = globalThis.crypto) {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** The S256 code challenge of ``verifier``: base64url(SHA-256(ASCII(verifier))). */
export async function challengeOf(verifier, crypto = globalThis.crypto) {
  return base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
}

/** @param {OAuthClient} client @param {OAuthOptions} [options] */
export function createOAuth(client, options = {}) {
  const crypto = options.crypto ?? globalThis.crypto;
  const storage = options.storage ?? globalThis.localStorage;
  const pendingStorage = options.pendingStorage ?? globalThis.sessionStorage;
  const location = options.location ?? globalThis.location;
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const now = options.now ?? Date.now;
  const redirectUri = options.redirectUri ?? (() => { const u = new URL(location.href); u.search = ""; u.hash = ""; return u.toString(); })();

  const load = (store, key) => { try { return JSON.parse(store.getItem(key) ?? "null"); } catch { return null; } };

  async function exchange(form) {
    const response = await doFetch(client.token_url, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: new URLSearchParams({ client_id: client.client_id, ...form }).toString(),
    });
    const payload = await response.json().catch(() => ({}));
    if (!response.ok || !payload.access_token) {
      throw new Error(`sign-in failed: ${payload.error_description ?? payload.error ?? response.status}`);
    }
    const previous = load(storage, TOKENS);
    /** @type {Tokens} */
    const tokens = {
      access_token: payload.access_token,
      refresh_token: payload.refresh_token ?? previous?.refresh_token ?? null, // a refresh grant may not rotate it
      expires_at: now() + Number(payload.expires_in ?? 3600) * 1000,
    };
    storage.setItem(TOKENS, JSON.stringify(tokens));
    return tokens;
  }

  return {
    /** Send the browser to the authorization server; ``returnTo`` (e.g. the current hash) is restored after. */
    async signIn(returnTo = "") {
      const verifier = newVerifier(crypto);
      const state = newVerifier(crypto);
      pendingStorage.setItem(PENDING, JSON.stringify({ verifier, state, returnTo }));
      const url = new URL(client.authorize_url);
      url.search = new URLSearchParams({
        response_type: "code", client_id: client.client_id, redirect_uri: redirectUri, scope: client.scopes.join(" "),
        state, code_challenge: await challengeOf(verifier, crypto), code_challenge_method: "S256",
      }).toString();
      location.assign(url.toString());
    },

    /**
     * Finish a sign-in this page was sent back from (``?code=…&state=…``). Returns ``{returnTo}`` when it
     * signed in, null when the URL carries no answer; throws on a refused or forged one (state mismatch).
     * The caller removes the query from the address bar.
     */
    async complete() {
      const params = new URL(location.href).searchParams;
      if (!params.has("code") && !params.has("error")) return null;
      const pending = load(pendingStorage, PENDING);
      pendingStorage.removeItem(PENDING);
      if (params.has("error")) throw new Error(`sign-in refused: ${params.get("error_description") ?? params.get("error")}`);
      if (!pending || params.get("state") !== pending.state) throw new Error("sign-in answer does not match a sign-in started here");
      await exchange({ grant_type: "authorization_code", code: params.get("code"), redirect_uri: redirectUri, code_verifier: pending.verifier });
      return { returnTo: pending.returnTo };
    },

    /** The access token to send, refreshed when it is about to expire; null when signed out. */
    async accessToken() {
      const tokens = load(storage, TOKENS);
      if (!tokens) return null;
      if (tokens.expires_at - EXPIRY_MARGIN_MS > now()) return tokens.access_token;
      if (!tokens.refresh_token) { storage.removeItem(TOKENS); return null; }
      try {
        return (await exchange({ grant_type: "refresh_token", refresh_token: tokens.refresh_token })).access_token;
      } catch {
        storage.removeItem(TOKENS); // a revoked or expired refresh token: signed out, not stuck
        return null;
      }
    },

    signedIn: () => load(storage, TOKENS) !== null,

    /** Forget the tokens here and end the authorization server's session. */
    signOut() {
      storage.removeItem(TOKENS);
      const url = new URL(client.logout_url);
      url.search = new URLSearchParams({ client_id: client.client_id, logout_uri: redirectUri }).toString();
      location.assign(url.toString());
    },
  };
}
