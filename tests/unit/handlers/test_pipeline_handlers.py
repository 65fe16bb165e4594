"""Prepare, agent, finalize and the four failure handlers against moto's DynamoDB, with the real bundled data."""

from __future__ import annotations

import json

import pytest

from investmind.adapters.dynamodb import DynamoResultStore
from investmind.errors import DataUnavailable, TaskEnded
from investmind.handlers import agent, agent_failed, dead_letter, execution_ended, finalize, prepare, task_failed
from investmind.models import AgentInput, AgentResult, EventDraft, EventType, ResultRef
from investmind.roster import STAGE1_IDS, STAGES
from investmind.settings import get_settings


def types(log, task_id):
    return [(e.type.value, e.stage, e.agent_id) for e in log.read(task_id)]


def run_stage(stage, state, lambda_context, monkeypatch):
    results = []
    for spec in STAGES[stage]:
        monkeypatch.setenv("AGENT_ID", spec.agent_id)
        get_settings.cache_clear()
        results.append(agent.lambda_handler(state, lambda_context))
    return results


def test_prepare_resolves_data_and_opens_stage_one(queued_task, stores, lambda_context):
    start = queued_task(as_of="2021-02-13")  # a Saturday
    out = prepare.lambda_handler(json.loads(start.model_dump_json()), lambda_context)

    assert out["context"]["as_of"] == "2021-02-10"  # the last trading day before it (Lunar New Year)
    assert out["context"]["name"]
    _, log = stores
    assert [t for t, _, _ in types(log, start.task_id)] == ["task_queued", "task_started", "stage_started"]


def test_prepare_replayed_writes_task_started_once(queued_task, stores, lambda_context):
    start = queued_task()
    prepare.lambda_handler(json.loads(start.model_dump_json()), lambda_context)
    prepare.lambda_handler(json.loads(start.model_dump_json()), lambda_context)
    _, log = stores
    assert [t for t, _, _ in types(log, start.task_id)].count("task_started") == 1


def test_prepare_without_data_raises_and_writes_nothing(queued_task, stores, lambda_context):
    start = queued_task(symbol="000338.SZ", as_of="2024-03-01")
    with pytest.raises(DataUnavailable, match="000338"):
        prepare.lambda_handler(json.loads(start.model_dump_json()), lambda_context)
    _, log = stores
    assert [t for t, _, _ in types(log, start.task_id)] == ["task_queued"]


def test_full_pipeline_through_the_handlers_ends_with_a_consistent_decision(
    queued_task, stores, lambda_context, monkeypatch
):
    start = queued_task()
    state = prepare.lambda_handler(json.loads(start.model_dump_json()), lambda_context)
    for stage in sorted(STAGES):
        state[f"stage{stage}"] = run_stage(stage, state, lambda_context, monkeypatch)
    out = finalize.lambda_handler(state, lambda_context)

    _, log = stores
    events = log.read(start.task_id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    marks = [(e.type.value, e.stage) for e in events if e.type in (EventType.stage_started, EventType.stage_completed)]
    assert marks == [(kind, s) for s in sorted(STAGES) for kind in ("stage_started", "stage_completed")]
    assert events[-1].type == EventType.task_completed
    decision = events[-1].data["decision"]
    assert decision["action"] == out["action"] and decision["action"] in decision["rationale"]
    assert out["degraded"] is False


def test_agent_not_selected_is_skipped_without_running(queued_task, stores, lambda_context, monkeypatch):
    start = queued_task()
    state = prepare.lambda_handler(json.loads(start.model_dump_json()), lambda_context)
    state["context"]["agents"] = ["technical"]
    monkeypatch.setenv("AGENT_ID", "macro")
    get_settings.cache_clear()
    ref = ResultRef.model_validate(agent.lambda_handler(state, lambda_context))

    assert ref.status == "skipped"
    _, log = stores
    assert ("agent_started", 1, "macro") not in types(log, start.task_id)


def test_agent_failure_is_recorded_and_returns_a_failed_result(queued_task, stores, lambda_context, monkeypatch):
    start = queued_task()
    state = prepare.lambda_handler(json.loads(start.model_dump_json()), lambda_context)
    state["stage1"] = run_stage(1, state, lambda_context, monkeypatch)
    error = {
        "Error": "AgentError",
        "Cause": json.dumps({"errorMessage": "model unavailable", "errorType": "AgentError"}),
    }
    # What the agent's …Failed state passes: {"agent_id", "state.$": "$", "error.$": "$.error"}
    caught = {"agent_id": "momentum_director", "state": {**state, "error": error}, "error": error}
    out = agent_failed.lambda_handler(caught, lambda_context)

    # The state carries a reference; the failed result itself is read back from its agent_failed event.
    ref = ResultRef.model_validate(out)
    result = DynamoResultStore(get_settings().events_table).load(start.task_id, [ref])["momentum_director"]
    assert ref.status == result.status == "failed" and "model unavailable" in result.error
    _, log = stores
    seen = types(log, start.task_id)
    assert ("agent_failed", 2, "momentum_director") in seen
    assert seen.index(("stage_completed", 1, None)) < seen.index(("stage_started", 2, None))


def test_task_failure_from_the_outer_catch_ends_the_task_once(queued_task, stores, lambda_context):
    start = queued_task()
    # What FailTask passes: {"task_id.$": "$$.Execution.Name", "error.$": "$.error"}
    caught = {
        "task_id": start.task_id,
        "error": {"Error": "DataUnavailable", "Cause": json.dumps({"errorMessage": "no data for X"})},
    }
    first = task_failed.lambda_handler(caught, lambda_context)
    again = task_failed.lambda_handler(caught, lambda_context)  # a retried FailTask

    _, log = stores
    events = log.read(start.task_id)
    assert [e.type for e in events] == [EventType.task_queued, EventType.task_failed]
    assert events[-1].data == {"error": "no data for X", "error_type": "DataUnavailable"}
    assert (first["recorded"], again["recorded"]) == (True, False)
    with pytest.raises(TaskEnded):
        log.append(start.task_id, [EventDraft(type=EventType.log, data={"message": "late"})])


def test_dead_letter_marks_the_task_failed(queued_task, stores, lambda_context):
    from tests.unit.handlers.conftest import sqs_event

    start = queued_task()
    response = dead_letter.lambda_handler(sqs_event(start.model_dump_json(), receive_count=3), lambda_context)

    assert response == {"batchItemFailures": []}
    _, log = stores
    last = log.read(start.task_id)[-1]
    assert last.type == EventType.task_failed and last.data["error_type"] == "DeadLetter"


def test_execution_ended_outside_the_catch_marks_the_task_failed(queued_task, stores, lambda_context):
    start = queued_task()
    event = {
        "source": "aws.states",
        "detail-type": "Step Functions Execution Status Change",
        "detail": {"name": start.task_id, "status": "TIMED_OUT", "executionArn": "arn:x"},
    }
    out = execution_ended.lambda_handler(event, lambda_context)

    assert out["recorded"] is True
    _, log = stores
    assert log.read(start.task_id)[-1].data["error_type"] == "ExecutionTimedOut"


def test_finalize_with_a_failed_agent_marks_the_decision_degraded(queued_task, stores, lambda_context, monkeypatch):
    start = queued_task()
    state = prepare.lambda_handler(json.loads(start.model_dump_json()), lambda_context)
    state["stage1"] = run_stage(1, state, lambda_context, monkeypatch)
    state["stage1"][0] = AgentResult(agent_id=STAGE1_IDS[0], stage=1, status="failed", error="boom").model_dump(
        mode="json"
    )
    for stage in (2, 3, 4):
        state[f"stage{stage}"] = run_stage(
            stage, AgentInput.model_validate(state).model_dump(mode="json"), lambda_context, monkeypatch
        )
    out = finalize.lambda_handler(state, lambda_context)

    assert out["degraded"] is True
    _, log = stores
    assert log.read(start.task_id)[-1].data["decision"]["degraded"] is True


def test_agent_handler_writes_the_narrative_in_the_configured_language(queued_task, lambda_context, monkeypatch):
    # The setting travels from the function's environment through the handler into the analyst.
    start = queued_task(as_of="2022-10-31")
    state = prepare.lambda_handler(json.loads(start.model_dump_json()), lambda_context)
    monkeypatch.setenv("INVESTMIND_LLM_LANGUAGE", "zh")
    monkeypatch.setenv("AGENT_ID", "technical")
    get_settings.cache_clear()

    ref = ResultRef.model_validate(agent.lambda_handler(state, lambda_context))
    result = DynamoResultStore(get_settings().events_table).load(start.task_id, [ref])["technical"]

    assert "技术立场" in result.summary
