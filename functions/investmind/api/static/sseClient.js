// The reusable SSE client for InvestMind frontends (docs/architecture.md §9), a plain ES module.
//
//   import { connect } from "/static/sseClient.js";
//   const sub = connect(`v1/analyses/${id}/stream`, { onEvent, onTerminal, onError });
//   sub.close();
//
// Every event reaches onEvent exactly once and in order: the browser's EventSource reconnects by
// itself with Last-Event-ID (the server also ends a response on purpose when it runs on Lambda), and
// this module drops any seq it has already delivered.
//
// EventSource cannot send an Authorization header: pass `getToken`, an async function that returns a
// stream token (`POST v1/analyses/<id>/stream-token` with your credential; its `token` field). It is
// put in the query as `token=`; when the browser gives up (the token expired after a few minutes),
// a fresh token is fetched and the stream reopened after the last seq delivered.

export const EVENT_TYPES = Object.freeze([
  "task_queued", "task_started", "stage_started", "agent_started", "log", "agent_completed",
  "agent_failed", "stage_completed", "progress", "task_completed", "task_failed", "task_cancelled",
]);

export const TERMINAL_TYPES = Object.freeze(new Set(["task_completed", "task_failed", "task_cancelled"]));

/**
 * Follow one analysis's event stream.
 *
 * @param {string} url  the stream URL, e.g. `v1/analyses/<id>/stream`
 * @param {object} handlers
 * @param {(envelope: object) => void} [handlers.onEvent]  each event envelope `{seq, task_id, type, ts, stage, agent_id, data}`
 * @param {(envelope: object) => void} [handlers.onTerminal]  the terminal event, after onEvent; the stream is closed
 * @param {(error: Event | Error) => void} [handlers.onError]  the stream gave up (not called for automatic reconnects)
 * @param {number} [handlers.after]  resume after this seq (0: from the start)
 * @param {() => Promise<string>} [handlers.getToken]  a fresh stream token, for each (re)opening
 * @returns {{close: () => void, readonly lastSeq: number, readonly closed: boolean}}
 */
export function connect(url, { onEvent, onTerminal, onError, after = 0, getToken } = {}) {
  let lastSeq = after;
  let closed = false;
  let source = null;
  let deliveredSinceOpen = false;

  function close() {
    closed = true;
    source?.close();
  }

  function handle(message) {
    if (closed) return;
    const seq = Number.parseInt(message.lastEventId, 10);
    if (!Number.isSafeInteger(seq) || seq <= lastSeq) return; // a replay after a reconnect
    let envelope;
    try {
      envelope = JSON.parse(message.data);
    } catch (error) {
      onError?.(error);
      return;
    }
    lastSeq = seq;
    deliveredSinceOpen = true;
    onEvent?.(envelope);
    if (TERMINAL_TYPES.has(envelope.type)) {
      close();
      onTerminal?.(envelope);
    }
  }

  function open(token) {
    let target = lastSeq > 0 ? withParam(url, "after", lastSeq) : url;
    if (token !== undefined) target = withParam(target, "token", token);
    deliveredSinceOpen = false;
    source = new EventSource(target);
    for (const type of EVENT_TYPES) source.addEventListener(type, handle);
    source.addEventListener("message", handle); // an event type this module does not know yet
    source.addEventListener("error", (event) => {
      // CONNECTING means the browser is reconnecting on its own (with Last-Event-ID); CLOSED means it
      // gave up (e.g. a 404, a 401 once a stream token expired, or a 204 once the analysis has ended).
      if (closed || source.readyState !== EventSource.CLOSED) return;
      if (getToken && deliveredSinceOpen) {
        openWithToken(event); // the token may have expired: once more with a fresh one, after lastSeq
        return;
      }
      closed = true;
      onError?.(event);
    });
  }

  function openWithToken(cause) {
    getToken().then(
      (token) => closed || open(token),
      (error) => {
        closed = true;
        onError?.(error ?? cause);
      },
    );
  }

  if (getToken) openWithToken();
  else open();

  return {
    close,
    get lastSeq() {
      return lastSeq;
    },
    get closed() {
      return closed;
    },
  };
}

function withParam(url, name, value) {
  const resolved = new URL(url, document.baseURI);
  resolved.searchParams.set(name, String(value));
  return resolved.toString();
}
