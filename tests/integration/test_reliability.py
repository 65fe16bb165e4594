"""What the user sees around the log, through the running system (docs/architecture.md §4, invariants 8 and 4)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from .sse import read_stream
from .test_pipeline import by_type, submit

pytestmark = pytest.mark.integration


def _read_then_get(api_url: str, headers: dict[str, str], task_id: str) -> tuple[dict, dict, dict]:
    """(the terminal event, GET and the list entry read the moment the reader had it)."""
    with httpx.Client(base_url=api_url, headers=headers, timeout=60) as client:
        events = read_stream(client, task_id)
        got = client.get(f"/v1/analyses/{task_id}").json()
        listed = {t["task_id"]: t for t in client.get("/v1/analyses", params={"limit": 100}).json()["items"]}
    return events[-1], got, listed.get(task_id, {})


def test_the_moment_a_reader_has_the_terminal_event_get_and_list_show_it(api, api_url):
    # Several at once, so that ProgressFunction's folds lag behind the log (as under load).
    symbols = ["600519", "000001", "603220", "000778"]
    task_ids = [submit(api, symbol) for symbol in symbols]
    with ThreadPoolExecutor(len(task_ids)) as pool:
        seen = list(pool.map(lambda t: _read_then_get(api_url, dict(api.headers), t), task_ids))

    for task_id, (terminal, got, listed) in zip(task_ids, seen, strict=True):
        assert terminal["type"] == "task_completed", terminal
        assert (got["task_id"], got["status"], got["ended_seq"]) == (task_id, "SUCCEEDED", terminal["seq"])
        assert got["decision"] == terminal["data"]["decision"]
        assert listed["status"] == "SUCCEEDED" and listed["decision"]["action"] == got["decision"]["action"]


def test_cancel_at_once_reads_cancelled_and_the_stream_ends_with_it(api):
    task_id = submit(api, "000783")
    assert api.post(f"/v1/analyses/{task_id}/cancel").status_code == 202

    assert api.get(f"/v1/analyses/{task_id}").json()["status"] == "CANCELLED"  # no wait for the fold
    events = read_stream(api, task_id, last_event_id=0)
    assert events[-1]["type"] == "task_cancelled" and len(by_type(events, "task_cancelled")) == 1
