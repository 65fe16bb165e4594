// Test doubles for the browser APIs the console's modules use: EventSource, fetch, timers, document.
// Node has no EventSource; these follow the parts of the HTML spec the clients rely on.

export class FakeEventSource {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 2;
  static made = [];

  constructor(url) {
    this.url = url;
    this.readyState = FakeEventSource.CONNECTING;
    this.listeners = {};
    FakeEventSource.made.push(this);
  }
  addEventListener(type, fn) { (this.listeners[type] ??= []).push(fn); }
  close() { this.readyState = FakeEventSource.CLOSED; }
  dispatch(type, event) { for (const fn of this.listeners[type] ?? []) fn(event); }
  open() { this.readyState = FakeEventSource.OPEN; this.dispatch("open", {}); }
  emit(type, seq, data = {}) {
    this.dispatch(type, { lastEventId: String(seq), data: JSON.stringify({ seq, type, data }) });
  }
  /** The connection dropped and the browser reconnects by itself (it will resend Last-Event-ID). */
  drop() { this.readyState = FakeEventSource.CONNECTING; this.dispatch("error", {}); }
  /** The server answered something other than 200: the browser gives up. */
  refuse() { this.readyState = FakeEventSource.CLOSED; this.dispatch("error", {}); }
}

/** Install the fakes on globalThis; ``statuses`` are the answers of successive fetch calls. */
export function install({ statuses = [] } = {}) {
  FakeEventSource.made = [];
  const fetched = [];
  const timers = [];
  globalThis.EventSource = FakeEventSource;
  globalThis.document = { baseURI: "http://host/console/" };
  globalThis.fetch = async (url, init) => {
    fetched.push({ url: String(url), init });
    const status = statuses.shift();
    if (status instanceof Error) throw status;
    return { status: status ?? 200, ok: status < 300, statusText: "", json: async () => ({}) };
  };
  globalThis.setTimeout = (fn, ms) => { timers.push({ fn, ms }); return timers.length; };
  globalThis.clearTimeout = () => {};
  return { fetched, timers, made: FakeEventSource.made };
}

/** Let pending promise callbacks run. */
export const settle = () => new Promise((resolve) => setImmediate(resolve));
