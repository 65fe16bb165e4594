"""Bounded pages (docs/architecture.md §4, invariant 9): the list returns summaries, so a page of 100 analyses whose
every agent took the LLM's longest reply (the reply model's limits, 4-byte Chinese: tests/maximal.py) stays far
below Lambda's 6 MB response limit."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from investmind.models import EventDraft, EventType
from investmind.services.progress import apply_events
from tests.maximal import maximal_results

pytestmark = pytest.mark.anyio

LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024


@pytest.fixture(scope="module")
def results():
    """Every agent's result with the LLM's longest reply in 4-byte Chinese (tests/maximal.py)."""
    return maximal_results("601318.SH", dt.date(2022, 11, 30))


def maximal_task(world, results):
    """A task whose log holds the ten maximal completions and the manager's decision, folded by ProgressFunction's
    use case (the one path that writes projections)."""
    task = world.new_task()
    for result in results.values():
        data = {"result": result.model_dump(mode="json")}
        world.log.append(task.task_id, [EventDraft(type=EventType.agent_completed, stage=result.stage,
                                                   agent_id=result.agent_id, data=data)])  # fmt: skip
    decision = results["investment_gm"].decision
    completed = EventDraft(type=EventType.task_completed, data={"decision": decision.model_dump(mode="json")})
    world.log.append(task.task_id, [completed])
    apply_events(world.tasks, world.log, world.log.read(task.task_id))
    return task


async def test_a_page_of_100_maximal_analyses_is_far_below_the_response_limit(client, world, results):
    full = [world.tasks.get(maximal_task(world, results).task_id) for _ in range(100)]

    response = await client.get("/v1/analyses", params={"limit": 100})

    assert response.status_code == 200
    page = response.json()["items"]
    assert len(page) == 100 and {t["status"] for t in page} == {"SUCCEEDED"}
    assert page[0]["decision"]["action"] == results["investment_gm"].decision.action
    assert "rationale" not in page[0]["decision"]
    assert "agents" not in page[0]
    assert len(response.content) < LAMBDA_RESPONSE_LIMIT / 10
    # The same page of whole projections would not fit: the bound comes from the summaries.
    whole = json.dumps([t.model_dump(mode="json") for t in full], ensure_ascii=False).encode()
    assert len(whole) > LAMBDA_RESPONSE_LIMIT
    # GET still has the whole task, every agent's result read back from the log.
    one = (await client.get(f"/v1/analyses/{full[0].task_id}")).json()
    assert one["decision"]["rationale"] == results["investment_gm"].decision.rationale
    assert {a: v["result"] for a, v in one["agents"].items()} == {
        a: r.model_dump(mode="json") for a, r in results.items()
    }
    assert one["agents"]["macro"]["summary"] == results["macro"].summary
