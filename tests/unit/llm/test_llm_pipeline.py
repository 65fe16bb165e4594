"""The LLM step inside the agent Lambda: configured by the environment, its retries and usage in the event log,
the usage summed into task_completed and the Task projection."""

from __future__ import annotations

import json

from investmind.adapters.dynamodb import DynamoResultStore
from investmind.handlers import agent, finalize, prepare
from investmind.models import EventType, ResultRef, Task, Usage
from investmind.projection import fold
from investmind.roster import STAGES
from investmind.settings import get_settings
from tests.unit.handlers.conftest import lambda_context, queued_task, stores  # noqa: F401 - fixtures

from .conftest import opinion


def _configure(monkeypatch, server, agents: str) -> None:
    monkeypatch.setenv("INVESTMIND_LLM_PROVIDER", "none")
    monkeypatch.setenv("INVESTMIND_LLM_AGENTS", agents)
    monkeypatch.setenv("INVESTMIND_LLM_MODEL", "gpt-4o-mini")
    monkeypatch.setenv("INVESTMIND_LLM_BASE_URL", server.url)
    monkeypatch.setenv("INVESTMIND_LLM_BACKOFF_S", "0.01")


def _run(stage, state, context, monkeypatch) -> list[dict]:
    out = []
    for spec in STAGES[stage]:
        monkeypatch.setenv("AGENT_ID", spec.agent_id)
        get_settings.cache_clear()
        out.append(agent.lambda_handler(state, context))
    return out


def test_agent_lambda_with_openai_logs_retry_and_reports_usage(
    queued_task,  # noqa: F811
    stores,  # noqa: F811
    lambda_context,  # noqa: F811
    monkeypatch,
    openai_server,
    results,
):
    # GIVEN the technical agent on an OpenAI-compatible endpoint that throttles once
    _configure(monkeypatch, openai_server, "technical=openai")
    openai_server.reply(status=429)
    openai_server.reply(opinion(results["technical"], shift=-2), tokens_in=1500, tokens_out=400)
    start = queued_task()
    state = prepare.lambda_handler(json.loads(start.model_dump_json()), lambda_context)

    # WHEN stage 1 runs
    state["stage1"] = _run(1, state, lambda_context, monkeypatch)

    # THEN only technical called the LLM, and its log shows the quant core, the retry and the usage in order
    refs = [ResultRef.model_validate(r) for r in state["stage1"]]
    by_id = DynamoResultStore(get_settings().events_table).load(start.task_id, refs)
    assert by_id["technical"].provider == "openai:gpt-4o-mini" and by_id["technical"].usage.llm_calls == 2
    assert {a: r.provider for a, r in by_id.items() if a != "technical"} == dict.fromkeys(
        ("macro", "industry", "funds", "fundamental"), "quant"
    )
    _, log = stores
    events = [e for e in log.read(start.task_id) if e.agent_id == "technical"]
    kinds = [e.type.value for e in events]
    assert kinds == ["agent_started", "log", "log", "log", "agent_completed"]
    messages = [e.data["message"] for e in events if e.type == EventType.log]
    assert "quant core done" in messages[0]
    assert "call 1 failed (HTTP 429); retry 1/2" in messages[1]
    assert "2 call(s), 1500 in / 400 out tokens" in messages[2]
    assert events[-1].data["result"]["usage"]["tokens_in"] == 1500


def test_task_completed_and_projection_sum_llm_usage_over_agents(
    queued_task,  # noqa: F811
    stores,  # noqa: F811
    lambda_context,  # noqa: F811
    monkeypatch,
    openai_server,
    results,
):
    # GIVEN technical and the manager on the LLM (the manager answers invalid JSON once)
    _configure(monkeypatch, openai_server, "technical=openai,investment_gm=openai")
    openai_server.reply(opinion(results["technical"]), tokens_in=1000, tokens_out=200)
    openai_server.reply("{not json", tokens_in=3000, tokens_out=10)
    openai_server.reply(opinion(results["investment_gm"]), tokens_in=3300, tokens_out=500)
    start = queued_task()
    state = prepare.lambda_handler(json.loads(start.model_dump_json()), lambda_context)

    # WHEN the whole analysis runs through the handlers
    for stage in sorted(STAGES):
        state[f"stage{stage}"] = _run(stage, state, lambda_context, monkeypatch)
    finalize.lambda_handler(state, lambda_context)

    # THEN task_completed carries the summed usage, and the projection folded from the log agrees
    _, log = stores
    events = log.read(start.task_id)
    completed = events[-1]
    assert completed.type == EventType.task_completed
    usage = Usage.model_validate(completed.data["usage"])
    expected_cost = ((1000 + 3000 + 3300) * 0.15 + (200 + 10 + 500) * 0.60) / 1e6
    assert (usage.llm_calls, usage.tokens_in, usage.tokens_out) == (3, 7300, 710)
    assert usage.cost_usd == round(expected_cost, 8)
    decision = completed.data["decision"]
    assert decision["action"] in decision["rationale"]
    task = Task(task_id=start.task_id, owner="local", symbol=start.symbol, created_at="x", updated_at="x")
    for event in events:
        task = fold(task, event)
    assert task.usage == usage
    assert task.agents["investment_gm"].provider == "openai:gpt-4o-mini"
