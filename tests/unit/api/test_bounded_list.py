"""Bounded pages (docs/architecture.md §4, invariant 9): the list returns summaries, so a page of 100 analyses whose
every agent wrote the reply model's longest narrative, in Chinese, stays far below Lambda's 6 MB response limit."""

from __future__ import annotations

import json

import pytest

from investmind.llm.reply import DecisionDraft, Line, Opinion
from investmind.models import AgentResult, AgentStatus, Decision, Event, EventType
from investmind.projection import fold
from investmind.roster import AGENTS

pytestmark = pytest.mark.anyio

LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024


def max_length(model, field: str) -> int:
    return next(m.max_length for m in model.model_fields[field].metadata if hasattr(m, "max_length"))


LINE_MAX = next(m.max_length for m in Line.__metadata__[0].metadata if hasattr(m, "max_length"))


def longest(text: str, length: int) -> str:
    return (text * (length // len(text) + 1))[:length]


NARRATIVE = longest("估值处于历史中位，资金面偏弱，维持中性判断。", max_length(Opinion, "narrative"))
EVIDENCE = [longest("北向资金连续五日净流出，成交量萎缩至二十日均量以下。", LINE_MAX)] * max_length(Opinion, "evidence")
RATIONALE = longest(
    "**HOLD (Hold)** 综合各位总监意见，风险收益比一般，维持现有仓位。", max_length(DecisionDraft, "rationale")
)


def maximal_projection(world):
    """A task folded from ten completions at the reply model's limits and a decision with the longest rationale."""
    task = world.new_task()
    seq = 1
    for spec in AGENTS:
        result = AgentResult(
            agent_id=spec.agent_id, stage=spec.stage, status=AgentStatus.succeeded, summary=NARRATIVE,
            evidence=EVIDENCE, provider="openai",
        )  # fmt: skip
        seq += 1
        data = {"result": result.model_dump(mode="json")}
        event = Event(seq=seq, task_id=task.task_id, ts="2026-01-05T01:02:03.000Z", type=EventType.agent_completed,
                      stage=spec.stage, agent_id=spec.agent_id, data=data)  # fmt: skip
        task = fold(task, event)
    decision = Decision(action="HOLD", rating="Hold", position_pct=10, horizon_days=60, confidence=0.5,
                        rationale=RATIONALE, dissent=[longest("动量总监持不同意见。", LINE_MAX)] * 9)  # fmt: skip
    end = Event(seq=seq + 1, task_id=task.task_id, ts="2026-01-05T01:09:03.000Z", type=EventType.task_completed,
                data={"decision": decision.model_dump(mode="json"), "degraded": False})  # fmt: skip
    return fold(task, end)


async def test_a_page_of_100_maximal_analyses_is_far_below_the_response_limit(client, world):
    big = maximal_projection(world)
    full = []
    for _ in range(100):
        task = world.new_task()
        world.tasks.save_projection(big.model_copy(update={"task_id": task.task_id, "created_at": task.created_at}), 0)
        full.append(world.tasks.get(task.task_id))

    response = await client.get("/v1/analyses", params={"limit": 100})

    assert response.status_code == 200
    page = response.json()["items"]
    assert len(page) == 100 and {t["status"] for t in page} == {"SUCCEEDED"}
    assert page[0]["decision"]["action"] == "HOLD" and "rationale" not in page[0]["decision"]
    assert "agents" not in page[0]
    assert len(response.content) < LAMBDA_RESPONSE_LIMIT / 10
    # The same page of whole projections would not fit: the bound comes from the summaries.
    whole = json.dumps([t.model_dump(mode="json") for t in full], ensure_ascii=False).encode()
    assert len(whole) > LAMBDA_RESPONSE_LIMIT
    # GET still has the whole task.
    one = (await client.get(f"/v1/analyses/{full[0].task_id}")).json()
    assert one["decision"]["rationale"] == RATIONALE and one["agents"]["macro"]["summary"] == NARRATIVE
