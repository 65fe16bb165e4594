"""Bounded everywhere (docs/architecture.md §4, invariant 9), at the LLM's maximum: every agent's narrative, evidence
and the manager's rationale at the reply model's limits, in 4-byte Chinese characters (tests/maximal.py).

The whole analysis runs through the real handlers against moto's DynamoDB, each agent's LLM step against an
OpenAI-compatible fake (no real LLM is reachable here) that answers with the longest valid reply. Sizes are
counted as the services count them: DynamoDB items by ``adapters.dynamodb.sizes`` (names + values, UTF-8),
Step Functions' state and Lambda payloads as the bytes of their JSON.
"""

from __future__ import annotations

import json

import pytest

from infra.lambdas import LambdaContext
from investmind.adapters import aws
from investmind.adapters.dynamodb import DynamoResultStore
from investmind.adapters.dynamodb.codec import event_item, log_head_id, to_item
from investmind.adapters.dynamodb.sizes import MAX_ITEM_BYTES, item_size
from investmind.handlers import agent, agent_failed, finalize, prepare, progress
from investmind.models import AgentStatus, EventType, ResultRef
from investmind.roster import AGENT_IDS, STAGES
from investmind.services.failures import MAX_ERROR_CHARS
from investmind.settings import get_settings
from tests.maximal import NARRATIVE_MAX, WIDE, MaximalLLM

from .conftest import stream_event

SFN_PAYLOAD_LIMIT = 256 * 1024
"""Step Functions: a state's input or output, as UTF-8 JSON."""
LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024
CAUSE_MAX = 32_768
"""Step Functions keeps at most this many characters of an error's Cause."""


def sfn_bytes(payload: object) -> int:
    return len(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())


def run_stage(stage: int, state: dict, lambda_context, monkeypatch) -> list[dict]:
    """One stage as its Parallel state runs it: each branch's output, in roster order (``ResultPath: $.stageN``)."""
    out = []
    for spec in STAGES[stage]:
        monkeypatch.setenv("AGENT_ID", spec.agent_id)
        get_settings.cache_clear()
        # A fresh invocation's context: the LLM step's deadline comes from its remaining time.
        context = LambdaContext(spec.function_logical_id, lambda_context.invoked_function_arn, 512, spec.timeout_s)
        out.append(agent.lambda_handler({"state": state, "attempt": 0}, context))
    return out


def fold_log(log, task_id: str, lambda_context) -> None:
    """ProgressFunction over the task's stream records (progress events are filtered out of its stream)."""
    records = [event_item(e, 0) for e in log.read(task_id) if e.type != EventType.progress]
    progress.lambda_handler(stream_event(*records), lambda_context)


def raw_items(task_id: str) -> tuple[dict, dict, list[dict]]:
    """The task item, the log head item and every event item, as DynamoDB stores them."""
    client, settings = aws.client("dynamodb"), get_settings()
    get = lambda key: client.get_item(TableName=settings.tasks_table, Key={"task_id": {"S": key}})["Item"]  # noqa: E731
    events = client.query(
        TableName=settings.events_table,
        KeyConditionExpression="task_id = :t",
        ExpressionAttributeValues={":t": {"S": task_id}},
    )["Items"]
    return get(task_id), get(log_head_id(task_id)), events


@pytest.fixture
def maximal_llm(monkeypatch):
    with MaximalLLM() as llm:
        for name, value in llm.environment().items():
            monkeypatch.setenv(name, value)
        yield llm


def test_an_analysis_at_the_llms_maximum_fits_every_limit(
    queued_task, stores, lambda_context, monkeypatch, maximal_llm
):
    start = queued_task(symbol="000858.SZ", as_of="2023-03-31")
    state = prepare.lambda_handler(json.loads(start.model_dump_json()), lambda_context)

    for stage in sorted(STAGES):
        state[f"stage{stage}"] = run_stage(stage, state, lambda_context, monkeypatch)
    after_stage4 = json.loads(json.dumps(state))
    finalize.lambda_handler(state, lambda_context)
    tasks, log = stores
    fold_log(log, start.task_id, lambda_context)

    # Every agent took the LLM's longest reply: the results in the log hold the maximal narratives.
    assert set(maximal_llm.answered) == {f"{a}_reply" for a in AGENT_IDS}
    refs = [ResultRef.model_validate(r) for s in sorted(STAGES) for r in after_stage4[f"stage{s}"]]
    results = DynamoResultStore(get_settings().events_table).load(start.task_id, refs)
    assert [r.agent_id for r in refs] == list(AGENT_IDS) and all(r.status == AgentStatus.succeeded for r in refs)
    assert all(len(r.summary) > NARRATIVE_MAX and WIDE in r.summary for r in results.values())
    assert all(r.provider == "openai:gpt-4o-mini" and not r.fallback for r in results.values())

    # The state after stage 4 carries references: far below 256 KB, where the results themselves would not fit.
    assert sfn_bytes(after_stage4) < SFN_PAYLOAD_LIMIT / 10
    inline = {**after_stage4, **{f"stage{s}": [results[r["agent_id"]].model_dump(mode="json")
                                                for r in after_stage4[f"stage{s}"]] for s in STAGES}}  # fmt: skip
    assert sfn_bytes(inline) > SFN_PAYLOAD_LIMIT

    # The task item keeps a bounded view; the whole projection (each summary twice) would pass 400 KB.
    task_item, head_item, event_items = raw_items(start.task_id)
    task = tasks.get(start.task_id)
    assert task.status == "SUCCEEDED" and task.decision is not None
    assert item_size(task_item) < MAX_ITEM_BYTES / 4
    assert item_size(to_item(task.model_dump(mode="json"))) > MAX_ITEM_BYTES
    assert item_size(head_item) < MAX_ITEM_BYTES / 4
    # Every event, the largest being the manager's agent_completed, fits one item.
    largest = max(event_items, key=item_size)
    assert largest["type"]["S"] == "agent_completed" and largest["agent_id"]["S"] == "investment_gm"
    assert item_size(largest) < MAX_ITEM_BYTES / 4

    # GET still returns every agent's whole result, read back from the log, and fits a Lambda response even
    # with every character escaped (\\uXXXX) in the response's JSON.
    assert {a: v.result for a, v in task.agents.items()} == results
    assert all(v.summary == results[a].summary for a, v in task.agents.items())
    assert len(json.dumps({"body": task.model_dump_json()}).encode()) < LAMBDA_RESPONSE_LIMIT


def test_failures_with_the_longest_causes_stay_bounded(queued_task, stores, lambda_context):
    start = queued_task(symbol="600036.SH", as_of="2022-06-30")
    state = prepare.lambda_handler(json.loads(start.model_dump_json()), lambda_context)
    cause = json.dumps({"errorMessage": (WIDE * CAUSE_MAX)[:CAUSE_MAX], "errorType": "AgentError"})
    error = {"Error": "AgentError", "Cause": cause}

    for agent_id in AGENT_IDS:  # every agent failed, each with a Cause at Step Functions' limit
        out = agent_failed.lambda_handler({"agent_id": agent_id, "state": state, "error": error}, lambda_context)
        assert ResultRef.model_validate(out).status == AgentStatus.failed
    tasks, log = stores
    fold_log(log, start.task_id, lambda_context)

    task_item, _, event_items = raw_items(start.task_id)
    assert item_size(task_item) < MAX_ITEM_BYTES / 2
    assert max(item_size(item) for item in event_items) < MAX_ITEM_BYTES / 10
    view = tasks.get(start.task_id).agents["macro"]
    assert view.state == "failed" and view.error.startswith(WIDE)
    assert len(view.error) < MAX_ERROR_CHARS + 100 and "more characters" in view.error
