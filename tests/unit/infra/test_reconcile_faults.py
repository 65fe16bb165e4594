"""The reconciler's faults (infra/faults.py): events that name a task but not its symbol, and the API's send step;
and the schedules the embedded runtime runs (infra/pollers.py)."""

from __future__ import annotations

import asyncio
import json

import pytest

from infra.faults import ApiCrash, CrashingQueue
from infra.pollers import rate_seconds
from investmind.models import StartRequest
from investmind_emulation.faults import API_SEND, FaultPlan


def plan(*rules: dict) -> FaultPlan:
    return FaultPlan.from_json(json.dumps(list(rules)))


def start(task_id: str, symbol: str) -> dict:
    return {"task_id": task_id, "owner": "lena", "symbol": symbol}


def ended(task_id: str) -> dict:
    return {"source": "aws.states", "detail": {"name": task_id, "status": "ABORTED"}}


def batch(*task_ids: str) -> dict:
    records = [{"eventSource": "aws:dynamodb", "dynamodb": {"NewImage": {"task_id": {"S": t}}}} for t in task_ids]
    return {"Records": records}


def test_an_event_naming_only_its_task_is_scoped_by_the_symbol_the_plan_saw_that_task_with():
    faults = plan({"target": "executionended", "symbol": "002415.SZ"}, {"target": "taskfailed", "symbol": "002415.SZ"})
    faults.take("prepare", start("t-1", "002415.SZ"))
    faults.take("prepare", start("t-2", "600036.SH"))

    assert faults.take("executionended", ended("t-1")) is not None
    assert faults.take("executionended", ended("t-2")) is None
    assert faults.take("executionended", ended("never-seen")) is None
    assert faults.take("taskfailed", {"task_id": "t-1", "error": {"Error": "X"}}) is not None


def test_a_stream_batch_matches_when_it_carries_a_record_of_a_task_of_the_rules_symbol_counted_per_task():
    faults = plan({"target": "progress", "times": 1, "symbol": "601166.SH"})
    faults.take("prepare", start("bad", "601166.SH"))
    faults.take("prepare", start("good", "600036.SH"))

    assert faults.take("progress", batch("good")) is None
    assert faults.take("progress", batch("good", "bad")) is not None  # the whole batch fails, as on AWS
    assert faults.take("progress", batch("bad")) is None  # its one time for that task is spent
    unscoped = plan({"target": "progress", "times": 2})  # today's reading: a batch's invocations are counted
    assert [unscoped.take("progress", batch(t)) is not None for t in ("good", "bad", "good")] == [True, True, False]


def test_the_api_send_step_dies_for_its_symbol_only_and_the_message_is_never_sent():
    class Queue:
        def __init__(self) -> None:
            self.sent: list[str] = []

        async def send(self, request: StartRequest) -> str:
            self.sent.append(request.task_id)
            return "m-1"

    queue = Queue()
    crashing = CrashingQueue(queue, plan({"target": API_SEND, "times": 1, "symbol": "600036.SH"}))
    doomed = StartRequest(task_id="a" * 32, owner="lena", symbol="600036.SH")

    with pytest.raises(ApiCrash):
        asyncio.run(crashing.send(doomed))
    assert not isinstance(ApiCrash("x"), Exception)  # no `except Exception` of the app's can catch it
    asyncio.run(crashing.send(StartRequest(task_id="b" * 32, owner="lena", symbol="601012.SH")))
    asyncio.run(crashing.send(doomed))  # a retry of the same task: the fault fired once
    assert queue.sent == ["b" * 32, "a" * 32]


def test_api_send_is_a_known_target_and_a_misspelt_one_is_refused():
    plan({"target": API_SEND}).check_targets({"prepare"})
    with pytest.raises(ValueError, match="api.sned"):
        plan({"target": "api.sned"}).check_targets({"prepare"})


def test_rate_expressions_give_the_schedule_period_and_others_are_refused():
    assert [rate_seconds(e) for e in ("rate(5 minutes)", "rate(1 minute)", "rate(2 hours)", "rate(1 day)")] == [
        300, 60, 7200, 86_400,
    ]  # fmt: skip
    with pytest.raises(NotImplementedError, match="cron"):
        rate_seconds("cron(0 12 * * ? *)")
