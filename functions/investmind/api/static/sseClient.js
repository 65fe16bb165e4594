// The reusable SSE client for InvestMind frontends (served at /static/sseClient.js), a plain ES module.
// See docs/frontend.md for a copy-paste example.
//
//   import { connect } from "/static/sseClient.js";
//   const sub = connect(`v1/analyses/${id}/stream`, { onEvent, onTerminal, onError, onState });
//   sub.close();
//
// Every event reaches onEvent exactly once and in order, across any number of reconnects:
// - while the browser's EventSource reconnects by itself (the server ends each response on purpose
//   when it runs on Lambda) it resends Last-Event-ID, and this module drops any seq already delivered;
// - when the EventSource gives up (the server answered something other than 200), this module asks
//   the stream once more for its status: 204 means the analysis ended and nothing follows; 401, 403
//   and 404 are final (onError); anything else (5xx, 429, no network) is retried with capped
//   exponential backoff and full jitter, resuming with `?after=<last seq>` and a fresh stream token.

export const EVENT_TYPES = Object.freeze([
  "task_queued", "task_started", "stage_started", "agent_started", "log", "agent_completed",
  "agent_failed", "stage_completed", "progress", "task_completed", "task_failed", "task_cancelled",
]);

export const TERMINAL_TYPES = Object.freeze(new Set(["task_completed", "task_failed", "task_cancelled"]));

const FINAL_STATUSES = new Set([400, 401, 403, 404]);

/**
 * @typedef {object} EventEnvelope
 * @property {number} seq  1, 2, 3, … per analysis, gap-free
 * @property {string} task_id
 * @property {string} type  one of EVENT_TYPES
 * @property {string} ts  ISO-8601 UTC
 * @property {number|null} [stage]
 * @property {string|null} [agent_id]
 * @property {Record<string, any>} data
 *
 * @typedef {"connecting"|"live"|"reconnecting"|"ended"|"failed"} ConnectionState
 *
 * @typedef {object} ConnectOptions
 * @property {(event: EventEnvelope) => void} [onEvent]  each event, once, in seq order
 * @property {(event: EventEnvelope) => void} [onTerminal]  the terminal event, after onEvent; the stream is closed
 * @property {(error: {status?: number, message: string}) => void} [onError]  the stream gave up for good
 * @property {(state: ConnectionState) => void} [onState]  the connection's state as it changes
 * @property {number} [after]  resume after this seq (0: from the start)
 * @property {() => (string|null|Promise<string|null>)} [getStreamToken]  a stream token for each (re)connection,
 *   sent as `?token=` (EventSource cannot send an Authorization header); none: no parameter
 * @property {number} [baseDelayMs]  the first backoff (500 ms); doubled per failed attempt
 * @property {number} [maxDelayMs]  the longest backoff (15 s)
 * @property {number} [maxAttempts]  failed attempts in a row before onError (10)
 * @property {() => number} [random]  for tests: the jitter's source (Math.random)
 *
 * @typedef {object} Subscription
 * @property {() => void} close
 * @property {number} lastSeq  the last seq delivered
 * @property {boolean} closed
 * @property {ConnectionState} state
 */

/**
 * Follow one analysis's event stream.
 *
 * @param {string} url  the stream URL, e.g. `v1/analyses/<id>/stream` (relative to the document)
 * @param {ConnectOptions} [options]
 * @returns {Subscription}
 */
export function connect(url, options = {}) {
  const { onEvent, onTerminal, onError, onState, getStreamToken } = options;
  const baseDelay = options.baseDelayMs ?? 500;
  const maxDelay = options.maxDelayMs ?? 15_000;
  const maxAttempts = options.maxAttempts ?? 10;
  const random = options.random ?? Math.random;
  let lastSeq = options.after ?? 0;
  let closed = false;
  let state = /** @type {ConnectionState} */ ("connecting");
  let source = null;
  let failures = 0;
  let timer = null;

  const setState = (next) => {
    if (next !== state) {
      state = next;
      onState?.(next);
    }
  };

  function finish(next, error) {
    closed = true;
    clearTimeout(timer);
    source?.close();
    setState(next);
    if (error) onError?.(error);
  }

  async function streamUrl() {
    const resolved = new URL(url, globalThis.document?.baseURI ?? globalThis.location?.href);
    if (lastSeq > 0) resolved.searchParams.set("after", String(lastSeq));
    const token = getStreamToken ? await getStreamToken() : null;
    if (token) resolved.searchParams.set("token", token);
    return resolved.toString();
  }

  async function open() {
    if (closed) return;
    let target;
    try {
      target = await streamUrl();
    } catch (error) {
      return retry(error);
    }
    if (closed) return;
    source = new EventSource(target);
    for (const type of EVENT_TYPES) source.addEventListener(type, handle);
    source.addEventListener("message", handle); // an event type this module does not know yet
    source.addEventListener("open", () => {
      failures = 0;
      if (!closed) setState("live");
    });
    source.addEventListener("error", () => {
      if (closed) return;
      // CONNECTING: the browser reconnects on its own, with Last-Event-ID. CLOSED: it gave up.
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        diagnose(target);
      } else setState("reconnecting");
    });
  }

  function handle(message) {
    if (closed) return;
    const seq = Number.parseInt(message.lastEventId, 10);
    if (!Number.isSafeInteger(seq) || seq <= lastSeq) return; // a replay after a reconnect
    let envelope;
    try {
      envelope = JSON.parse(message.data);
    } catch {
      return finish("failed", { message: `seq ${seq}: the event is not JSON` });
    }
    lastSeq = seq;
    onEvent?.(envelope);
    if (TERMINAL_TYPES.has(envelope.type)) {
      finish("ended");
      onTerminal?.(envelope);
    }
  }

  async function diagnose(target) {
    // EventSource hides why it gave up; one plain request says whether to stop or to try again.
    setState("reconnecting");
    const abort = new AbortController();
    let status;
    try {
      const response = await fetch(target, { headers: { Accept: "text/event-stream" }, signal: abort.signal });
      status = response.status;
    } catch (error) {
      return retry(error);
    } finally {
      abort.abort(); // the body, if it is a stream, is not read here
    }
    if (closed) return;
    if (status === 204) return finish("ended");
    if (FINAL_STATUSES.has(status)) return finish("failed", { status, message: `the stream answered ${status}` });
    if (status === 200) failures = 0; // it answers again: reconnect at once
    retry({ status, message: `the stream answered ${status}` });
  }

  function retry(error) {
    if (closed) return;
    failures += 1;
    if (failures > maxAttempts) return finish("failed", { status: error?.status, message: String(error?.message ?? error) });
    setState("reconnecting");
    const delay = failures <= 1 ? 0 : Math.min(maxDelay, baseDelay * 2 ** (failures - 2)) * random();
    timer = setTimeout(open, delay);
  }

  open();
  return {
    close: () => {
      if (!closed) finish(state === "ended" ? "ended" : state);
    },
    get lastSeq() {
      return lastSeq;
    },
    get closed() {
      return closed;
    },
    get state() {
      return state;
    },
  };
}
