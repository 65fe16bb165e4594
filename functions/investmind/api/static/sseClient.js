// The reusable SSE client for InvestMind frontends (docs/architecture.md §9), a plain ES module.
//
//   import { connect } from "/static/sseClient.js";
//   const sub = connect(`v1/analyses/${id}/stream`, { onEvent, onTerminal, onError });
//   sub.close();
//
// Every event reaches onEvent exactly once and in order: the browser's EventSource reconnects by
// itself with Last-Event-ID (the server also ends a response on purpose when it runs on Lambda), and
// this module drops any seq it has already delivered.

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
 * @returns {{close: () => void, readonly lastSeq: number, readonly closed: boolean}}
 */
export function connect(url, { onEvent, onTerminal, onError, after = 0 } = {}) {
  let lastSeq = after;
  let closed = false;
  const source = new EventSource(after > 0 ? withAfter(url, after) : url);

  function close() {
    closed = true;
    source.close();
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
    onEvent?.(envelope);
    if (TERMINAL_TYPES.has(envelope.type)) {
      close();
      onTerminal?.(envelope);
    }
  }

  for (const type of EVENT_TYPES) source.addEventListener(type, handle);
  source.addEventListener("message", handle); // an event type this module does not know yet

  source.addEventListener("error", (event) => {
    // CONNECTING means the browser is reconnecting on its own (with Last-Event-ID); CLOSED means it
    // gave up (e.g. a 404, or a 204 once the analysis has ended).
    if (!closed && source.readyState === EventSource.CLOSED) {
      closed = true;
      onError?.(event);
    }
  });

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

function withAfter(url, after) {
  const resolved = new URL(url, document.baseURI);
  resolved.searchParams.set("after", String(after));
  return resolved.toString();
}
