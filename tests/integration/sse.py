"""A real SSE reader for the tests (httpx + httpx-sse), with optional early disconnect."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx
from httpx_sse import connect_sse

TERMINAL = {"task_completed", "task_failed", "task_cancelled"}


def read_stream(
    client: httpx.Client,
    task_id: str,
    last_event_id: int | None = None,
    until: Callable[[dict], bool] | None = None,
    timeout: float = 120,
) -> list[dict]:
    """Events from the stream, in arrival order, until a terminal event (or ``until`` says stop:
    the reader then disconnects, as a dropped browser tab would).

    A response that ends first is resumed from the last event received, as EventSource does: behind
    API Gateway the API answers in bounded responses (``INVESTMIND_SSE_MODE=bounded``).
    """
    events: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        resume_from = events[-1]["seq"] if events else last_event_id
        headers = {"Last-Event-ID": str(resume_from)} if resume_from is not None else {}
        left = deadline - time.monotonic()
        with connect_sse(
            client, "GET", f"/v1/analyses/{task_id}/stream", headers=headers, timeout=httpx.Timeout(left, read=left)
        ) as source:
            assert source.response.status_code == 200, source.response.read()
            assert source.response.headers["content-type"].startswith("text/event-stream")
            for sse in source.iter_sse():
                if not sse.data:
                    continue  # the `retry:` frame (httpx-sse yields it as an empty event)
                envelope = json.loads(sse.data)
                assert sse.id == str(envelope["seq"]) and sse.event == envelope["type"]
                events.append(envelope)
                if envelope["type"] in TERMINAL or (until and until(envelope)):
                    return events
    raise AssertionError(f"no terminal event within {timeout}s; got {[e['type'] for e in events]}")
