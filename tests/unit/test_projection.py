"""The Task projection: the fold of a realistic event log, and ProgressFunction's apply_events (invariant 3)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from investmind.adapters.memory import MemoryEventLog, MemoryTaskStore
from investmind.models import (
    AgentResult,
    AgentState,
    Decision,
    Event,
    EventDraft,
    EventType,
    Task,
    TaskStatus,
    Usage,
)
from investmind.projection import fold
from investmind.roster import AGENTS, STAGE_NAMES, STAGES
from investmind.services.progress import apply_events

FAILING_AGENT = "funds"
DECISION = Decision(
    action="BUY",
    rating="Overweight",
    position_pct=15,
    entry_range=(1500.0, 1550.0),
    stop_loss=1400.0,
    take_profit=1800.0,
    horizon_days=60,
    confidence=0.7,
    rationale="BUY: momentum and valuation agree",
    dissent=["systemic_risk_director"],
    degraded=True,
)
# Everything that differs between two runs of the same story: ids and clocks.
VOLATILE = {
    "task_id": True,
    "created_at": True,
    "updated_at": True,
    "started_at": True,
    "ended_at": True,
    "applied_seq": True,
    "agents": {"__all__": {"started_at", "ended_at"}},
}


@pytest.fixture
def stores() -> tuple[MemoryTaskStore, MemoryEventLog]:
    tasks = MemoryTaskStore()
    return tasks, MemoryEventLog(tasks)


def new_task(tasks: MemoryTaskStore, agents: list[str] | None = None) -> Task:
    now = "2025-01-02T03:04:05.000Z"
    task = Task(task_id=uuid.uuid4().hex, owner="caller", symbol="600519.SH", created_at=now, updated_at=now)
    if agents is not None:
        task = task.model_copy(update={"agents_requested": agents})
    first = EventDraft(type=EventType.task_queued, data={"symbol": task.symbol, "as_of": None, "priority": "normal"})
    tasks.create(task, first)
    return task


def result(agent_id: str, stage: int) -> dict[str, Any]:
    failed = agent_id == FAILING_AGENT
    return AgentResult(
        agent_id=agent_id,
        stage=stage,
        status="failed" if failed else "succeeded",
        stance="neutral" if failed else "bullish",
        score=0.0 if failed else 40.5,
        confidence=0.0 if failed else 0.625,
        summary=f"**{agent_id}**",
        provider="quant",
        usage=Usage(llm_calls=1, tokens_in=100, tokens_out=50, latency_ms=200, cost_usd=0.0015),
        error="timeout" if failed else None,
        decision=DECISION if agent_id == "investment_gm" else None,
    ).model_dump(mode="json")


def agent_steps(agent_id: str, stage: int) -> Iterator[tuple[list[EventDraft], str | None]]:
    yield [EventDraft(type=EventType.agent_started, stage=stage, agent_id=agent_id, data={"attempt": 1})], None
    yield (
        [EventDraft(type=EventType.log, stage=stage, agent_id=agent_id, data={"level": "info", "message": "hi"})],
        None,
    )
    if agent_id == FAILING_AGENT:
        data = {"error": "timeout", "error_type": "ProviderTimeout", "result": result(agent_id, stage)}
        yield [EventDraft(type=EventType.agent_failed, stage=stage, agent_id=agent_id, data=data)], None
    else:
        data = {"result": result(agent_id, stage)}
        yield [EventDraft(type=EventType.agent_completed, stage=stage, agent_id=agent_id, data=data)], None


def story() -> Iterator[tuple[list[EventDraft], str | None]]:
    """What Prepare, the agents and Finalize append for one analysis, as (drafts, once) appends."""
    started = {"symbol": "600519.SH", "name": "Moutai", "industry": "Liquor", "as_of": "2025-01-02", "data": {}}
    yield [EventDraft(type=EventType.task_started, data=started)], None
    for stage, specs in STAGES.items():
        opening = EventDraft(type=EventType.stage_started, stage=stage, data={"name": STAGE_NAMES[stage]})
        if stage == 1:
            yield [opening], None
        else:
            closing = EventDraft(type=EventType.stage_completed, stage=stage - 1, data={"name": STAGE_NAMES[stage - 1]})
            yield [closing, opening], f"stage:{stage}"
        for spec in specs:
            yield from agent_steps(spec.agent_id, stage)
    usage = Usage(llm_calls=10, tokens_in=1000, tokens_out=500, latency_ms=2000, cost_usd=0.015)
    done = {
        "decision": DECISION.model_dump(mode="json"),
        "degraded": True,
        "usage": usage.model_dump(),
        "duration_ms": 1,
    }
    yield (
        [EventDraft(type=EventType.stage_completed, stage=4), EventDraft(type=EventType.task_completed, data=done)],
        None,
    )


def deliver(tasks: MemoryTaskStore, log: MemoryEventLog, task_id: str, after: int, times: int = 1) -> int:
    """Play the stream: every event past ``after`` (progress ones too) into apply_events; return the last seq."""
    while events := log.read(task_id, after=after):
        for event in events:
            for _ in range(times):
                apply_events(tasks, log, [event])
        after = events[-1].seq
    return after


def run_story(tasks: MemoryTaskStore, log: MemoryEventLog, times: int = 1) -> Task:
    task = new_task(tasks)
    delivered = deliver(tasks, log, task.task_id, 0, times)
    for drafts, once in story():
        log.append(task.task_id, drafts, once=once)
        delivered = deliver(tasks, log, task.task_id, delivered, times)
    return tasks.get(task.task_id)


def progress_events(log: MemoryEventLog, task_id: str) -> list[Event]:
    return [e for e in log.read(task_id) if e.type == EventType.progress]


# --- fold ----------------------------------------------------------------------------------------------------


def test_fold_full_story_builds_final_task(stores):
    tasks, log = stores

    task = run_story(tasks, log)

    events = log.read(task.task_id)
    assert (task.status, task.degraded, task.stage, task.decision) == (TaskStatus.SUCCEEDED, True, 4, DECISION)
    assert (task.progress.percent, task.progress.completed, task.progress.total) == (100, 10, 10)
    assert task.as_of == dt.date(2025, 1, 2)
    assert task.applied_seq == events[-1].seq and events[-1].type == EventType.task_completed
    assert task.started_at is not None and task.ended_at == events[-1].ts
    assert task.usage == Usage(llm_calls=10, tokens_in=1000, tokens_out=500, latency_ms=2000, cost_usd=0.015)
    failed = task.agents[FAILING_AGENT]
    assert (failed.state, failed.error, failed.result.status) == (AgentState.failed, "timeout", "failed")
    macro = task.agents["macro"]
    assert (macro.state, macro.stance, macro.score, macro.confidence) == (AgentState.succeeded, "bullish", 40.5, 0.625)
    assert (macro.summary, macro.provider, macro.started_at is not None) == ("**macro**", "quant", True)
    assert {a.agent_id for a in AGENTS if task.agents[a.agent_id].state == AgentState.succeeded} == {
        a.agent_id for a in AGENTS
    } - {FAILING_AGENT}


def test_fold_full_story_appends_monotonic_progress_before_terminal(stores):
    tasks, log = stores

    task = run_story(tasks, log)

    progress = progress_events(log, task.task_id)
    percents = [e.data["percent"] for e in progress]
    assert (
        percents == sorted(percents) and max(percents) == 99
    )  # 100 comes with task_completed, after which the log is closed
    assert all(set(e.data) == {"percent", "stage", "completed", "total"} for e in progress)
    assert [e.data["stage"] for e in progress][-1] == 4


def test_fold_agent_usage_sums_before_task_completed(stores):
    tasks, log = stores
    task = new_task(tasks)
    for drafts, _ in [*agent_steps("macro", 1), *agent_steps("technical", 1)]:
        log.append(task.task_id, drafts)

    deliver(tasks, log, task.task_id, 0)

    assert tasks.get(task.task_id).usage == Usage(
        llm_calls=2, tokens_in=200, tokens_out=100, latency_ms=400, cost_usd=0.003
    )


def test_fold_unrequested_stage1_agents_start_skipped(stores):
    tasks, log = stores
    task = new_task(tasks, agents=["macro", "technical"])

    deliver(tasks, log, task.task_id, 0)

    folded = tasks.get(task.task_id)
    skipped = {agent_id for agent_id, view in folded.agents.items() if view.state == AgentState.skipped}
    assert skipped == {"industry", "funds", "fundamental"}
    assert set(folded.agents) == {a.agent_id for a in AGENTS}
    assert (folded.progress.completed, folded.progress.percent, folded.status) == (3, 30, TaskStatus.QUEUED)


def test_fold_all_agents_done_percent_stays_below_100_until_succeeded(stores):
    tasks, log = stores
    task = new_task(tasks)
    for spec in AGENTS:
        for drafts, _ in agent_steps(spec.agent_id, spec.stage):
            log.append(task.task_id, drafts)

    deliver(tasks, log, task.task_id, 0)

    folded = tasks.get(task.task_id)
    assert (folded.progress.completed, folded.progress.percent, folded.status) == (10, 99, TaskStatus.QUEUED)


def test_fold_terminal_task_changes_only_applied_seq(stores):
    tasks, log = stores
    task = new_task(tasks)
    log.append(task.task_id, [EventDraft(type=EventType.task_cancelled, data={"reason": "user"})])
    deliver(tasks, log, task.task_id, 0)
    cancelled = tasks.get(task.task_id)
    [late] = [e for e in log.read(task.task_id) if e.seq == 2]
    late = late.model_copy(update={"seq": 9, "type": EventType.agent_completed, "data": {"result": result("macro", 1)}})

    folded = fold(cancelled, late)

    assert cancelled.status == TaskStatus.CANCELLED
    assert folded.model_dump(exclude={"applied_seq"}) == cancelled.model_dump(exclude={"applied_seq"})
    assert folded.applied_seq == 9


def test_fold_leaves_input_task_unchanged(stores):
    tasks, log = stores
    task = new_task(tasks)
    [event] = log.append(task.task_id, [*agent_steps("macro", 1)][2][0])
    before = task.model_dump()

    folded = fold(task, event)

    assert task.model_dump() == before
    assert folded is not task and folded.agents["macro"].state == AgentState.succeeded


# --- apply_events --------------------------------------------------------------------------------------------


def test_apply_event_every_record_twice_same_task_same_progress_events(stores):
    tasks, log = stores

    once = run_story(tasks, log, times=1)
    twice = run_story(tasks, log, times=2)

    assert twice.model_dump(exclude=VOLATILE) == once.model_dump(exclude=VOLATILE)
    assert [e.data for e in progress_events(log, twice.task_id)] == [e.data for e in progress_events(log, once.task_id)]


def test_apply_event_full_replay_changes_nothing(stores):
    tasks, log = stores
    task = run_story(tasks, log)
    length = len(log.read(task.task_id))

    deliver(tasks, log, task.task_id, 0)

    assert tasks.get(task.task_id) == task
    assert len(log.read(task.task_id)) == length


def test_apply_event_out_of_order_repaired_from_log(stores):
    tasks, log = stores
    task = new_task(tasks)
    for drafts, once in [*story()][:12]:
        log.append(task.task_id, drafts, once=once)
    events = log.read(task.task_id)
    expected = tasks.get_projection(task.task_id)  # created with its first event folded in
    for event in events[1:]:
        expected = fold(expected, event)

    apply_events(tasks, log, [events[-1]])
    repaired = tasks.get(task.task_id)
    for event in events:  # the earlier records arrive late, and change nothing
        apply_events(tasks, log, [event])

    [progress] = progress_events(log, task.task_id)
    expected = fold(expected, progress)  # a read folds the fold's own progress event too (its seq only)
    assert repaired == expected
    assert tasks.get(task.task_id) == expected


def test_apply_event_progress_after_task_ended_is_swallowed(stores):
    tasks, log = stores
    task = new_task(tasks)
    for drafts, _ in agent_steps("macro", 1):
        log.append(task.task_id, drafts)
    log.append(task.task_id, [EventDraft(type=EventType.task_cancelled, data={"reason": "user"})])

    deliver(tasks, log, task.task_id, 0)

    assert tasks.get(task.task_id).status == TaskStatus.CANCELLED
    assert progress_events(log, task.task_id) == []
    assert log.read(task.task_id)[-1].type == EventType.task_cancelled


class RacedStore:
    """A task store whose first save loses to a concurrent ProgressFunction that saved the same fold."""

    def __init__(self, inner: MemoryTaskStore) -> None:
        self.inner = inner
        self.raced = False

    def get_projection(self, task_id: str) -> Task:
        return self.inner.get_projection(task_id)

    def save_projection(self, task: Task, expected_applied_seq: int, before: Task | None = None) -> bool:
        if not self.raced:
            self.raced = True
            assert self.inner.save_projection(task, expected_applied_seq, before)
            return self.inner.save_projection(task, expected_applied_seq, before)
        return self.inner.save_projection(task, expected_applied_seq, before)


def test_apply_event_save_conflict_rereads_and_skips(stores):
    tasks, log = stores
    task = new_task(tasks)
    [event] = log.append(task.task_id, [*agent_steps("macro", 1)][2][0])
    apply_events(tasks, log, [log.read(task.task_id)[0]])
    raced = RacedStore(tasks)

    apply_events(raced, log, [event])

    assert raced.raced
    assert tasks.get(task.task_id).applied_seq == event.seq
    assert tasks.get(task.task_id).agents["macro"].state == AgentState.succeeded
    # the winner of the race announces the progress, not the loser
    assert [e.seq for e in log.read(task.task_id)] == [1, 2]


def test_apply_event_unknown_task_is_ignored(stores):
    tasks, log = stores
    event = Event(seq=1, task_id="gone", ts="2025-01-02T03:04:05.000Z", type=EventType.task_queued)

    apply_events(tasks, log, [event])

    assert log.read("gone") == []
