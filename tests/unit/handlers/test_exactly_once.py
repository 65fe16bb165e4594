"""Exactly once per agent (docs/architecture.md §4): agent_started / agent_completed / agent_failed appear once per
task whatever the retries; a retry is a warning log with its attempt; a late outcome is refused by the log."""

from __future__ import annotations

import json

from investmind import analysts, market
from investmind.adapters.dynamodb import DynamoResultStore
from investmind.handlers import agent, agent_failed, prepare, progress
from investmind.models import AgentInput, EventType, ResultRef
from investmind.services.pipeline import run_agent
from investmind.settings import get_settings

from .conftest import stream_event


def agent_events(log, task_id: str, agent_id: str) -> list[tuple[str, int | None]]:
    return [
        (e.type.value, e.data.get("attempt") if e.type != EventType.agent_completed else None)
        for e in log.read(task_id)
        if e.agent_id == agent_id and (e.type != EventType.log or e.data.get("level") == "warning")
    ]


def invoke(state: dict, agent_id: str, retry_count: int, lambda_context, monkeypatch) -> ResultRef:
    """One attempt as the state machine makes it: {"state": $, "attempt": $$.State.RetryCount} (infra/asl.py);
    it returns the reference the state carries on."""
    monkeypatch.setenv("AGENT_ID", agent_id)
    get_settings.cache_clear()
    return ResultRef.model_validate(agent.lambda_handler({"state": state, "attempt": retry_count}, lambda_context))


def fold_all(stores, task_id: str, lambda_context) -> None:
    from investmind.adapters.dynamodb.codec import event_item

    _, log = stores
    progress.lambda_handler(stream_event(*(event_item(e, 0) for e in log.read(task_id))), lambda_context)


def test_attempts_that_failed_before_running_are_logged_by_the_one_that_runs(
    queued_task, stores, lambda_context, monkeypatch
):
    start = queued_task(symbol="000001.SZ", as_of="2023-06-30")
    state = prepare.lambda_handler(json.loads(start.model_dump_json()), lambda_context)
    _, log = stores

    ref = invoke(state, "funds", 2, lambda_context, monkeypatch)  # attempts 1 and 2 never ran (throttled)

    assert agent_events(log, start.task_id, "funds") == [
        ("log", 2), ("log", 3), ("agent_started", 3), ("agent_completed", None)
    ]  # fmt: skip
    fold_all(stores, start.task_id, lambda_context)
    view = stores[0].get(start.task_id).agents["funds"]
    completed = [e for e in log.read(start.task_id) if e.type == EventType.agent_completed]
    assert (view.state, view.result_seq, ref.seq) == ("succeeded", completed[0].seq, completed[0].seq)
    assert (
        view.result.model_dump(mode="json") == completed[0].data["result"] and ResultRef.of(view.result, ref.seq) == ref
    )


def test_a_retry_after_the_result_landed_returns_that_result_and_writes_it_not_again(
    queued_task, stores, lambda_context, monkeypatch
):
    # Lambda.ServiceException after the function ran: Step Functions retries an agent that has finished.
    start = queued_task(symbol="600519.SH", as_of="2022-09-30")
    state = prepare.lambda_handler(json.loads(start.model_dump_json()), lambda_context)
    _, log = stores

    first = invoke(state, "technical", 0, lambda_context, monkeypatch)
    second = invoke(state, "technical", 1, lambda_context, monkeypatch)
    third = invoke(state, "technical", 2, lambda_context, monkeypatch)

    assert first == second == third
    assert agent_events(log, start.task_id, "technical") == [
        ("agent_started", 1), ("agent_completed", None), ("log", 2), ("log", 3)
    ]  # fmt: skip


def caught(state: dict, agent_id: str) -> dict:
    error = {"Error": "States.Timeout", "Cause": "the state timed out"}
    return {"agent_id": agent_id, "state": {**state, "error": error}, "error": error}


def test_a_late_result_after_the_agent_was_recorded_failed_is_refused(queued_task, stores, lambda_context):
    start = queued_task(symbol="603220.SH", as_of="2020-05-29")
    state = prepare.lambda_handler(json.loads(start.model_dump_json()), lambda_context)
    _, log = stores

    def analyze_past_the_state_timeout(agent_id, snapshot, upstream, selected):
        # The state's TimeoutSeconds passes while the agent computes: its Catch records it failed meanwhile.
        agent_failed.lambda_handler(caught(state, agent_id), lambda_context)
        return analysts.analyze(agent_id, snapshot, upstream, selected)

    late = run_agent(
        "macro", AgentInput.model_validate(state), log, DynamoResultStore(get_settings().events_table),
        load_snapshot=market.load_snapshot, analyze=analyze_past_the_state_timeout,
    )  # fmt: skip

    assert late.result.status == "failed"  # the recorded outcome, not the late one
    assert late.seq == [e.seq for e in log.read(start.task_id) if e.type == EventType.agent_failed][0]
    assert [t for t, _ in agent_events(log, start.task_id, "macro")] == ["agent_started", "agent_failed"]
    fold_all(stores, start.task_id, lambda_context)
    assert stores[0].get(start.task_id).agents["macro"].state == "failed"


def test_a_retry_after_the_agent_was_recorded_failed_starts_nothing(queued_task, stores, lambda_context, monkeypatch):
    start = queued_task(symbol="603220.SH", as_of="2020-05-29")
    state = prepare.lambda_handler(json.loads(start.model_dump_json()), lambda_context)
    _, log = stores

    agent_failed.lambda_handler(caught(state, "industry"), lambda_context)
    again = invoke(state, "industry", 0, lambda_context, monkeypatch)

    assert again.status == "failed"
    assert [t for t, _ in agent_events(log, start.task_id, "industry")] == ["agent_failed"]


def test_a_failure_recorded_after_the_result_landed_yields_the_result(queued_task, stores, lambda_context, monkeypatch):
    start = queued_task(symbol="000001.SZ", as_of="2024-05-31")
    state = prepare.lambda_handler(json.loads(start.model_dump_json()), lambda_context)
    _, log = stores

    landed = invoke(state, "industry", 0, lambda_context, monkeypatch)
    recorded = ResultRef.model_validate(agent_failed.lambda_handler(caught(state, "industry"), lambda_context))

    assert recorded == landed and landed.status == "succeeded"
    assert [t for t, _ in agent_events(log, start.task_id, "industry")] == ["agent_started", "agent_completed"]
