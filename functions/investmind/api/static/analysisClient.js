// A small client for InvestMind's REST API (served at /static/analysisClient.js), a plain ES module.
// See docs/frontend.md. Errors are thrown as ApiError with the API's `{error: {code, message, details}}`.

import { connect } from "./sseClient.js";

/**
 * @typedef {object} ClientOptions
 * @property {string} [baseUrl]  the API's base, e.g. "https://api.example.com/" (default: the document's base)
 * @property {string|null} [token]  an API key or access token, sent as `Authorization: Bearer …`
 * @property {() => (string|null|Promise<string|null>)} [getToken]  asked before every request (wins over token)
 * @property {typeof fetch} [fetch]  for tests
 *
 * @typedef {{symbol: string, market?: string, as_of?: string, priority?: "high"|"normal"|"low", agents?: string[]}} AnalysisRequest
 * @typedef {{task_id: string, status: string, links: Record<string, string>}} Accepted
 * @typedef {{items: object[], next_cursor: string|null}} TaskPage
 * @typedef {{events: object[], next_after: number|null}} EventPage
 */

export class ApiError extends Error {
  /** @param {number} status @param {{code: string, message: string, details?: any}} error */
  constructor(status, error) {
    super(`${error.code}: ${error.message}`);
    this.name = "ApiError";
    this.status = status;
    this.code = error.code;
    this.details = error.details ?? null;
  }
}

/** @param {ClientOptions} [options] */
export function createClient(options = {}) {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const base = new URL(options.baseUrl ?? "./", globalThis.document?.baseURI ?? globalThis.location?.href);

  async function bearer() {
    const token = options.getToken ? await options.getToken() : options.token;
    return token ? { Authorization: `Bearer ${token}` } : {};
  }

  async function request(method, path, { query, body, headers } = {}) {
    const url = new URL(path, base);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, String(value));
    }
    const response = await doFetch(url, {
      method,
      headers: { Accept: "application/json", ...(body ? { "Content-Type": "application/json" } : {}), ...(await bearer()), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    const payload = response.status === 204 ? null : await response.json().catch(() => null); // e.g. a proxy's HTML
    if (!response.ok) {
      throw new ApiError(response.status, payload?.error ?? { code: `http_${response.status}`, message: response.statusText });
    }
    return payload;
  }

  const task = (id) => `v1/analyses/${encodeURIComponent(id)}`;

  /** A short-lived token for this task's stream (`POST …/stream-token`) when signed in; else null. */
  const streamToken = async (id) =>
    (await bearer()).Authorization ? (await request("POST", `${task(id)}/stream-token`)).token ?? null : null;

  return {
    /** @param {AnalysisRequest} analysis @param {{idempotencyKey?: string}} [opts] @returns {Promise<Accepted>} */
    submit: (analysis, { idempotencyKey } = {}) =>
      request("POST", "v1/analyses", { body: analysis, headers: idempotencyKey ? { "Idempotency-Key": idempotencyKey } : {} }),
    /** @returns {Promise<TaskPage>} */
    list: ({ status, symbol, limit, cursor } = {}) => request("GET", "v1/analyses", { query: { status, symbol, limit, cursor } }),
    get: (id) => request("GET", task(id)),
    /** @returns {Promise<Accepted>} */
    cancel: (id) => request("POST", `${task(id)}/cancel`),
    /** @returns {Promise<EventPage>} */
    events: (id, { after, limit, type, agent, level } = {}) =>
      request("GET", `${task(id)}/events`, { query: { after, limit, type, agent, level } }),
    bars: (id, { limit } = {}) => request("GET", `${task(id)}/bars`, { query: { limit } }),
    symbols: () => request("GET", "v1/symbols"),
    agents: () => request("GET", "v1/agents"),
    /**
     * A stream token for this analysis (`POST /v1/analyses/{id}/stream-token`, with
     * authentication on); null otherwise, and the stream then needs none.
     */
    streamToken,
    /**
     * Follow the analysis live: sseClient.connect on its stream, with a fresh stream token per connection.
     * @param {string} id @param {import("./sseClient.js").ConnectOptions} handlers
     */
    follow: (id, handlers = {}) =>
      connect(new URL(`${task(id)}/stream`, base).toString(), { getStreamToken: () => streamToken(id), ...handlers }),
  };
}
