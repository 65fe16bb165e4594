"""The HTTP API as the CLI calls it, and following an analysis' event stream to its end (resuming on drops)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from httpx_sse import SSEError, connect_sse

from investmind.models import TERMINAL_STATUS, EventType

Envelope = dict[str, Any]


class ApiError(Exception):
    """An error answer of the API (or no answer at all: code ``unreachable``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Api:
    """The HTTP API at ``base_url``, sending ``Authorization: Bearer <api_key>`` when a key is set."""

    def __init__(self, base_url: str, api_key: str = "", transport: httpx.BaseTransport | None = None) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # The read timeout outlasts the SSE heartbeat (15 s), so only a dead connection times out.
        timeout = httpx.Timeout(10.0, read=60.0)
        self.client = httpx.Client(base_url=base_url, headers=headers, timeout=timeout, transport=transport)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ApiError("unreachable", f"{self.client.base_url}: {exc}") from exc
        _raise_for_error(response)
        return response.json() if response.content else None


def _raise_for_error(response: httpx.Response) -> None:
    if response.is_success:
        return
    try:
        error = response.json()["error"]
        raise ApiError(error["code"], error["message"])
    except (ValueError, KeyError, TypeError):
        raise ApiError(f"http_{response.status_code}", response.reason_phrase or "error") from None


@dataclass
class _Cursor:
    last: int
    retry_s: float = 2.0


def follow(
    api: Api,
    task_id: str,
    on_event: Callable[[Envelope], None],
    *,
    after: int = 0,
    retry_s: float | None = None,
    max_failures: int = 20,
) -> str:
    """Read the task's event stream to its terminal event and return the final status.

    ``on_event`` gets every event after ``after`` exactly once, in seq order: a dropped stream, or one
    the server ends on purpose (the bounded mode on Lambda), is reopened with ``Last-Event-ID`` set to
    the last seq delivered. ``retry_s`` overrides the server's ``retry:`` between failed attempts.
    """
    cursor, failures = _Cursor(after), 0
    while True:
        before, opened, ended_cleanly = cursor.last, time.monotonic(), False
        try:
            final = _read_stream(api, task_id, cursor, on_event)
            if final is not None:
                return final
            ended_cleanly = True
        except (httpx.TransportError, SSEError, _Retryable):
            pass
        # Progress, or a response the server held open for a while (an idle bounded poll), is healthy;
        # anything else waits `retry` and counts, so a broken server cannot make this loop spin.
        if cursor.last > before or (ended_cleanly and time.monotonic() - opened > 1.0):
            failures = 0
            continue
        failures += 1
        if failures > max_failures:
            raise ApiError("unreachable", f"the event stream of {task_id} failed {failures} times in a row")
        time.sleep(retry_s if retry_s is not None else cursor.retry_s)


class _Retryable(Exception):
    """The stream answered 5xx."""


def _read_stream(api: Api, task_id: str, cursor: _Cursor, on_event: Callable[[Envelope], None]) -> str | None:
    """One connection: deliver the new events; the final status if the analysis ended, else None."""
    headers = {"Last-Event-ID": str(cursor.last)}
    with connect_sse(api.client, "GET", f"/v1/analyses/{task_id}/stream", headers=headers) as source:
        response = source.response
        if response.status_code == 204:  # it has ended and nothing follows `cursor.last`
            return str(api.call("GET", f"/v1/analyses/{task_id}")["status"])
        if response.is_error:
            response.read()
            if response.status_code >= 500:
                raise _Retryable(response.status_code)
            _raise_for_error(response)
        for sse in source.iter_sse():
            if sse.retry is not None:
                cursor.retry_s = sse.retry / 1000
            if not sse.id or not sse.data or int(sse.id) <= cursor.last:
                continue  # the retry frame, or a replay
            envelope = sse.json()
            on_event(envelope)
            cursor.last = int(sse.id)
            if EventType(envelope["type"]) in TERMINAL_STATUS:
                return TERMINAL_STATUS[EventType(envelope["type"])].value
    return None
