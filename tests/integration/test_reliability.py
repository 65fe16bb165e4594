"""What the user sees around the log, through the running system (docs/architecture.md §4, invariants 8 and 4)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import wait_until

from .checks import assert_each_agent_once, assert_gap_free
from .sse import read_stream
from .test_pipeline import by_type, fault_plan, submit  # noqa: F401 - the fixture

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


def test_transient_errors_n_times_write_each_agent_event_once_and_each_retry_as_a_warning(api, fault_plan):  # noqa: F811
    task_id = submit(api, "000783")  # `fundamental` fails twice, transiently, before its handler runs
    events = read_stream(api, task_id)

    assert_gap_free(events)
    assert assert_each_agent_once(events) == {"fundamental": [2, 3]}  # and no other agent retried
    mine = [e for e in events if e.get("agent_id") == "fundamental"]
    assert [e["data"]["attempt"] for e in by_type(mine, "agent_started")] == [3]
    assert len(by_type(mine, "agent_completed")) == 1 and not by_type(mine, "agent_failed")
    warnings = [e for e in by_type(mine, "log") if e["data"]["level"] == "warning"]
    assert [e["data"]["attempt"] for e in warnings] == [2, 3]
    assert events[-1]["type"] == "task_completed" and events[-1]["data"]["degraded"] is False
    got = wait_until(
        lambda: (t := api.get(f"/v1/analyses/{task_id}").json())["applied_seq"] == events[-1]["seq"] and t,
        timeout=30, what="the projection to fold the whole log",
    )  # fmt: skip
    completed = by_type(mine, "agent_completed")[0]["data"]["result"]
    assert got["agents"]["fundamental"]["state"] == "succeeded" and got["agents"]["fundamental"]["result"] == completed


def execution_status(aws_client, stack_outputs, task_id: str) -> str | None:
    sfn = aws_client("stepfunctions")
    executions = sfn.list_executions(stateMachineArn=stack_outputs["AnalysisStateMachineArn"])["executions"]
    return next((e["status"] for e in executions if e["name"] == task_id), None)


@pytest.mark.parametrize(
    ("symbol", "cancel_when"),
    [
        ("000001", None),  # at once: queued, or as early as the starter lets it be
        ("000778", lambda e: e["type"] == "agent_started" and e.get("stage") == 1),  # mid-stage
        ("600519", lambda e: e["type"] == "agent_started" and e.get("agent_id") == "investment_gm"),  # last stage
    ],
    ids=["queued", "mid-stage", "last-stage"],
)
def test_cancel_at_any_point_ends_cancelled_once_with_nothing_after_and_no_execution_running(
    api, aws_client, stack_outputs, symbol, cancel_when
):
    task_id = submit(api, symbol)
    if cancel_when is not None:
        read_stream(api, task_id, until=cancel_when)
    assert api.post(f"/v1/analyses/{task_id}/cancel").status_code == 202

    assert api.get(f"/v1/analyses/{task_id}").json()["status"] == "CANCELLED"  # at once: no wait for the fold
    events = read_stream(api, task_id, last_event_id=0)
    assert_gap_free(events)
    assert events[-1]["type"] == "task_cancelled" and len(by_type(events, "task_cancelled")) == 1
    terminal = [e["type"] for e in events if e["type"] in ("task_completed", "task_failed", "task_cancelled")]
    assert terminal == ["task_cancelled"]
    # No execution left running: stopped by the cancel, never started, or refused at its first write.
    # None: never started; ABORTED: stopped by the cancel or the starter; else ended after its writes were refused.
    wait_until(
        lambda: execution_status(aws_client, stack_outputs, task_id) != "RUNNING",
        timeout=30, what="the execution to be stopped",
    )  # fmt: skip
    # Whatever was still running could not write behind the terminal event.
    again = api.get(f"/v1/analyses/{task_id}/events", params={"after": 0, "limit": 1000}).json()["events"]
    assert again == events
