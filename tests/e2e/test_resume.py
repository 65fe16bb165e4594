"""Resuming: a reload mid-run, and a server that ends every stream response (Lambda's bounded mode)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from .helpers import FINAL_CARD_STATES, card_states, delivered, log_seqs, open_analysis, outcome, submit, wait_status

# One worker runs every browser test (make test runs two: --dist loadgroup): they share one runtime and browser.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_a_reload_mid_run_catches_up_and_continues_with_no_line_twice(page, base_url, api):
    task_id = submit(api, "000001", "2021-03-31")
    open_analysis(page, base_url, task_id)
    page.wait_for_selector('.stage[data-stage="1"] .card[data-state="succeeded"]')
    assert page.get_attribute("#view-analysis", "data-status") == "RUNNING"
    before = log_seqs(page)

    page.reload()
    page.wait_for_selector("#pipeline .card")
    assert wait_status(page, "SUCCEEDED") == "SUCCEEDED"

    results, _, events = outcome(api, task_id)
    shown = log_seqs(page)
    assert shown == [e["seq"] for e in events if e["type"] == "log"]  # every line, once, in order
    assert before == shown[: len(before)]
    assert delivered(page) == [e["seq"] for e in events]
    assert card_states(page) == {agent: result["status"] for agent, result in results.items()}


def test_a_server_that_ends_each_response_is_followed_without_loss_or_duplicates(page, bounded_url, api):
    streams = []
    # The stream itself, not the stream-token requests made before each (re)connection.
    page.on("request", lambda request: urlsplit(request.url).path.endswith("/stream") and streams.append(request))
    task_id = submit(api, "601318", "2021-08-31")

    open_analysis(page, bounded_url, task_id)
    assert wait_status(page, "SUCCEEDED", timeout=90_000) == "SUCCEEDED"

    results, _, events = outcome(api, task_id)
    assert delivered(page) == [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert log_seqs(page) == [e["seq"] for e in events if e["type"] == "log"]
    assert set(card_states(page).values()) <= FINAL_CARD_STATES
    assert card_states(page) == {agent: result["status"] for agent, result in results.items()}
    positions = [_position(request) for request in streams[1:]]
    assert len(streams) > 1, "the server ended a response before the analysis did, so the page reconnected"
    assert all(position is not None for position in positions), "each reconnection says where it resumes"
    assert positions == sorted(positions)


def _position(request) -> int | None:
    """Where a stream request resumes: the browser's Last-Event-ID, or sseClient.js's own ``?after=``."""
    header = request.all_headers().get("last-event-id")
    if header:
        return int(header)
    after = parse_qs(urlsplit(request.url).query).get("after")
    return int(after[0]) if after else None
