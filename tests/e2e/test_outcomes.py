"""The outcomes other than success: a failed agent (the fault plan) degrades the decision; cancel."""

from __future__ import annotations

import pytest

from .helpers import card_states, open_analysis, outcome, submit, wait_status

# One worker runs every browser test (make test runs two: --dist loadgroup): they share one runtime and browser.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_a_failed_agent_shows_failed_with_its_reason_and_the_decision_degraded(page, base_url, api, finished):
    task_id = finished["degraded"]  # the fault plan fails funds for FAILING_SYMBOL
    open_analysis(page, base_url, task_id)
    assert wait_status(page, "SUCCEEDED") == "SUCCEEDED"

    results, decision, _ = outcome(api, task_id)
    failed = sorted(agent for agent, result in results.items() if result["status"] == "failed")
    assert failed == ["funds"]  # the plan's one fault
    assert card_states(page)["funds"] == "failed"
    assert "injected permanent fault in funds" in page.inner_text('.card[data-agent="funds"] .reason')
    assert decision["degraded"] is True
    assert page.is_visible("#run-degraded")
    assert "Capital-flow analyst" in page.inner_text('#decision [data-field="degraded"]')
    assert page.inner_text('#decision [data-field="action"]') == decision["action"]


def test_cancel_mid_run_ends_the_analysis_cancelled(page, base_url, api):
    task_id = submit(api, "000858", "2024-05-31")
    open_analysis(page, base_url, task_id)
    page.wait_for_selector('.card[data-state="running"]')

    page.click("#cancel")

    assert wait_status(page, "CANCELLED") == "CANCELLED"
    _, decision, events = outcome(api, task_id)
    assert events[-1]["type"] == "task_cancelled" and decision is None
    assert api.get(f"v1/analyses/{task_id}").json()["status"] == "CANCELLED"
    assert page.is_hidden("#cancel")
    assert "Cancelled" in page.inner_text("#run-error")
    assert "running" not in card_states(page).values()
