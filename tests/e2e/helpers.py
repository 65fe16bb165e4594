"""What the browser tests share: reading the console's page, and the API's own account to check it against."""

from __future__ import annotations

import httpx

from tests.integration.sse import read_stream

FINAL_CARD_STATES = {"succeeded", "failed", "skipped", "not_requested"}


def submit(api: httpx.Client, symbol: str, as_of: str | None = None, **extra) -> str:
    body = {"symbol": symbol, **({"as_of": as_of} if as_of else {}), **extra}
    response = api.post("v1/analyses", json=body)
    assert response.status_code == 202, response.text
    return response.json()["task_id"]


def whole_log(api: httpx.Client, task_id: str) -> list[dict]:
    """Every event of the analysis, once it has ended (the stream closes on the terminal event)."""
    return read_stream(api, task_id)


def open_analysis(page, base_url: str, task_id: str) -> None:
    page.goto(f"{base_url}#/analyses/{task_id}")
    page.wait_for_selector("#pipeline .card")


def wait_status(page, *statuses: str, timeout: float = 60_000) -> str:
    selector = ", ".join(f'#view-analysis[data-status="{status}"]' for status in statuses)
    page.wait_for_selector(selector, timeout=timeout)
    return page.get_attribute("#view-analysis", "data-status")


def card_states(page) -> dict[str, str]:
    script = "cards => Object.fromEntries(cards.map(c => [c.dataset.agent, c.dataset.state]))"
    return page.eval_on_selector_all(".card", script)


def log_seqs(page) -> list[int]:
    return page.eval_on_selector_all("#log [data-seq]", "lines => lines.map(l => Number(l.dataset.seq))")


def delivered(page) -> list[int]:
    """The seqs the stream client handed to the page, in order (analysisView.js's ``delivered``)."""
    return page.evaluate("investmindConsole.delivered.slice()")


def outcome(api: httpx.Client, task_id: str) -> tuple[dict[str, dict], dict | None, list[dict]]:
    """From the log itself (the projection may lag it): each agent's result, the decision, and every event."""
    events = whole_log(api, task_id)
    results = {e["agent_id"]: e["data"]["result"] for e in events if e["type"] in ("agent_completed", "agent_failed")}
    decision = next((e["data"]["decision"] for e in events if e["type"] == "task_completed"), None)
    return results, decision, events
