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
