"""static/sseClient.js under Node with a fake EventSource: de-duplication by seq, close on terminal, errors."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

import investmind.api

SSE_CLIENT = Path(investmind.api.__file__).parent / "static" / "sseClient.js"

HARNESS = """
class FakeEventSource {
  static CONNECTING = 0; static OPEN = 1; static CLOSED = 2;
  static made = [];
  constructor(url) { this.url = url; this.readyState = 1; this.listeners = {}; FakeEventSource.made.push(this); }
  addEventListener(type, fn) { (this.listeners[type] ??= []).push(fn); }
  close() { this.readyState = 2; }
  emit(type, seq) {
    const message = { lastEventId: String(seq), data: JSON.stringify({ seq, type }) };
    for (const fn of this.listeners[type] ?? []) fn(message);
  }
  fail(state) { this.readyState = state; for (const fn of this.listeners.error ?? []) fn({ type: "error" }); }
}
globalThis.EventSource = FakeEventSource;
globalThis.document = { baseURI: "http://host/console/" };
const { connect } = await import(process.argv[2]);

const seen = [], ended = [], errors = [];
const sub = connect("v1/analyses/t/stream", {
  onEvent: (e) => seen.push(e.seq), onTerminal: (e) => ended.push(e.type), onError: () => errors.push(1),
});
const es = FakeEventSource.made[0];
es.emit("task_queued", 1); es.emit("log", 2);
es.fail(EventSource.CONNECTING);            // the browser reconnects by itself: not an error
es.emit("log", 2); es.emit("log", 1);       // replayed after the reconnect
es.emit("progress", 3); es.emit("task_completed", 4);
es.emit("log", 5);                          // after the terminal event: closed
const first = { seen, ended, errors: errors.length, closed: sub.closed, state: es.readyState, last: sub.lastSeq };

const lost = [];
connect("v1/analyses/u/stream", { after: 7, onError: () => lost.push(1) });
const resumed = FakeEventSource.made[1];
resumed.fail(EventSource.CLOSED);           // e.g. a 404 or a 204: the browser gives up
console.log(JSON.stringify({ first, resumedUrl: resumed.url, lost: lost.length }));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_sse_client_js_dedupes_by_seq_and_closes_on_terminal(tmp_path):
    harness = tmp_path / "harness.mjs"
    harness.write_text(HARNESS)

    run = subprocess.run(
        ["node", str(harness), SSE_CLIENT.as_uri()], capture_output=True, text=True, timeout=20, check=False
    )

    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["first"] == {
        "seen": [1, 2, 3, 4],
        "ended": ["task_completed"],
        "errors": 0,
        "closed": True,
        "state": 2,
        "last": 4,
    }
    assert result["resumedUrl"] == "http://host/console/v1/analyses/u/stream?after=7"
    assert result["lost"] == 1


TOKEN_HARNESS = (
    HARNESS.split("const seen = []")[0]
    + """
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
let minted = 0;
const seen = [], errors = [];
connect("v1/analyses/t/stream", {
  getToken: async () => `tok${++minted}`, onEvent: (e) => seen.push(e.seq), onError: () => errors.push(1),
});
await tick();
const first = FakeEventSource.made[0];
first.emit("task_queued", 1); first.emit("log", 2);
first.fail(EventSource.CLOSED);             // e.g. 401: the token expired; a fresh one, after seq 2
await tick();
const second = FakeEventSource.made[1];
second.emit("log", 2); second.emit("log", 3);
second.fail(EventSource.CLOSED);
await tick();
const third = FakeEventSource.made[2];
third.fail(EventSource.CLOSED);             // nothing since it opened: give up, no loop
await tick();
console.log(JSON.stringify({ urls: FakeEventSource.made.map((s) => s.url), seen, errors: errors.length }));
"""
)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_sse_client_js_sends_a_fresh_stream_token_and_resumes_after_the_last_seq(tmp_path):
    harness = tmp_path / "harness.mjs"
    harness.write_text(TOKEN_HARNESS)

    run = subprocess.run(
        ["node", str(harness), SSE_CLIENT.as_uri()], capture_output=True, text=True, timeout=20, check=False
    )

    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    base = "http://host/console/v1/analyses/t/stream"
    assert result["urls"] == [f"{base}?token=tok1", f"{base}?after=2&token=tok2", f"{base}?after=3&token=tok3"]
    assert (result["seen"], result["errors"]) == ([1, 2, 3], 1)
