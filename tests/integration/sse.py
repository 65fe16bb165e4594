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


class Follower:
    """An EventSource's behaviour, for one task: it keeps every event and, whenever its connection ends
    (a bounded response, ``drop_when`` saying disconnect, the connection cut, the API down), connects
    again with ``Last-Event-ID``, after the server's ``retry`` delay when the connection failed.

    ``connections`` counts the connections it opened, ``cut`` those that broke under it, ``dropped``
    those it closed itself; ``on_event`` sees each event as it arrives.
    """

    def __init__(
        self,
        client: httpx.Client,
        task_id: str,
        drop_when: Callable[[dict], bool] | None = None,
        on_event: Callable[[dict], None] | None = None,
    ) -> None:
        self.client, self.task_id, self.drop_when, self.on_event = client, task_id, drop_when, on_event
        self.events: list[dict] = []
        self.connections = self.cut = self.dropped = 0
        self.retry_s = 2.0  # EventSource's default until the server's `retry:` frame says otherwise

    def follow(self, timeout: float = 180) -> list[dict]:
        """Every event up to the terminal one, in arrival order."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self._connect(deadline - time.monotonic()):
                    return self.events
            except httpx.TransportError:
                self.cut += 1
                time.sleep(self.retry_s)  # the reconnection delay the protocol prescribes, not a wait for a state
        raise AssertionError(f"no terminal event within {timeout}s; got {[e['type'] for e in self.events]}")

    def _connect(self, left: float) -> bool:
        """One connection; True once the terminal event is in."""
        headers = {"Last-Event-ID": str(self.events[-1]["seq"])} if self.events else {}
        self.connections += 1
        with connect_sse(
            self.client, "GET", f"/v1/analyses/{self.task_id}/stream", headers=headers,
            timeout=httpx.Timeout(left, read=left),
        ) as source:  # fmt: skip
            assert source.response.status_code == 200, source.response.read()
            for sse in source.iter_sse():
                if sse.retry is not None:
                    self.retry_s = sse.retry / 1000
                if not sse.data:
                    continue
                envelope = json.loads(sse.data)
                assert sse.id == str(envelope["seq"]) and sse.event == envelope["type"]
                self.events.append(envelope)
                if self.on_event:
                    self.on_event(envelope)
                if envelope["type"] in TERMINAL:
                    return True
                if self.drop_when is not None and self.drop_when(envelope):
                    self.drop_when, self.dropped = None, self.dropped + 1
                    return False  # leaving the block closes the connection, as a closed tab does
        return False
