"""Read-your-terminal (invariant 8, docs/architecture.md §4), on every backend: the moment the terminal event
is in the log, get and list show it — with no projection fold at all (ProgressFunction paused) — and get
shows the log's progress too, whatever the stream has folded."""

from __future__ import annotations

import pytest

from investmind.errors import NotFound
from investmind.models import AgentResult, AgentState, AgentStatus, Decision, EventDraft, EventType, TaskStatus
from investmind.services.progress import apply_events
from investmind.store import TaskQuery

from .test_store_contract import created


def decision() -> Decision:
    return Decision(
        action="HOLD", rating="Hold", position_pct=12.5, horizon_days=40, confidence=0.55,
        rationale="HOLD: 估值合理，等待更好的买点", dissent=["momentum_director 偏多"],
    )  # fmt: skip


def completed() -> EventDraft:
    return EventDraft(
        type=EventType.task_completed,
        data={"decision": decision().model_dump(mode="json"), "degraded": True, "usage": {"llm_calls": 3},
              "duration_ms": 1234},
    )  # fmt: skip


def running(backend, owner: str | None = None):
    task = created(backend, owner)
    backend.log.append(task.task_id, [EventDraft(type=EventType.task_started, data={"symbol": task.symbol})])
    apply_events(backend.tasks, backend.log, backend.log.read(task.task_id))  # projection: RUNNING, seq 2
    assert backend.tasks.get(task.task_id).status == TaskStatus.RUNNING
    return task


def test_success_reads_terminal_with_its_decision_before_any_fold(backend):
    task = running(backend)
    [end] = backend.log.append(task.task_id, [completed()])

    got = backend.tasks.get(task.task_id, task.owner)

    assert (got.status, got.decision, got.degraded, got.ended_at) == (TaskStatus.SUCCEEDED, decision(), True, end.ts)
    assert (got.ended_seq, got.applied_seq, got.progress.percent, got.usage.llm_calls) == (end.seq, end.seq, 100, 3)
    # the fold's own writer still sees the unfolded projection, and folding it agrees with what was read
    assert backend.tasks.get_projection(task.task_id).status == TaskStatus.RUNNING
    apply_events(backend.tasks, backend.log, [end])
    assert backend.tasks.get(task.task_id) == got


@pytest.mark.parametrize(
    ("draft", "status"),
    [
        (EventDraft(type=EventType.task_failed, data={"error": "数据源超时", "error_type": "DeadLetter"}), "FAILED"),
        (EventDraft(type=EventType.task_cancelled, data={"reason": "cancelled by someone"}), "CANCELLED"),
    ],
)
def test_failure_and_cancel_read_terminal_before_any_fold(backend, draft, status):
    task = running(backend)
    [end] = backend.log.append(task.task_id, [draft])

    got = backend.tasks.get(task.task_id)

    assert (got.status, got.ended_seq, got.decision) == (status, end.seq, None)
    if status == "FAILED":
        assert got.error == "数据源超时"


def test_list_reads_terminal_and_filters_on_it_before_any_fold(backend):
    owner = "caller-list-terminal"
    ended, still_running = running(backend, owner), running(backend, owner)
    backend.log.append(ended.task_id, [completed()])

    page, _ = backend.tasks.list(TaskQuery(owner, limit=10))
    succeeded, _ = backend.tasks.list(TaskQuery(owner, status=TaskStatus.SUCCEEDED, limit=10))
    in_progress, _ = backend.tasks.list(TaskQuery(owner, status=TaskStatus.RUNNING, limit=10))

    statuses = {task.task_id: (task.status, task.decision) for task in page}
    assert statuses == {ended.task_id: (TaskStatus.SUCCEEDED, decision()), still_running.task_id: ("RUNNING", None)}
    assert [task.task_id for task in succeeded] == [ended.task_id]
    assert [task.task_id for task in in_progress] == [still_running.task_id]


def test_status_filtered_pages_skip_nothing_when_settled_tasks_drop_out(backend):
    owner = "caller-pages"
    tasks = [running(backend, owner) for _ in range(5)]
    for task in tasks[::2]:  # three of five end; their projections still say RUNNING
        backend.log.append(task.task_id, [completed()])

    seen, cursor = [], None
    for _ in range(5):
        page, cursor = backend.tasks.list(TaskQuery(owner, status=TaskStatus.RUNNING, limit=1, cursor=cursor))
        seen += [task.task_id for task in page]
        if cursor is None:
            break

    assert sorted(seen) == sorted(task.task_id for task in tasks[1::2])


def test_head_reports_end_and_markers_and_unknown_task(backend):
    task = running(backend)
    backend.log.append(task.task_id, [EventDraft(type=EventType.log, data={"level": "info", "message": "x"})], once="m")
    head = backend.log.head(task.task_id)
    assert (head.next_seq, head.ended, head.markers) == (4, False, frozenset({"m"}))
    backend.log.append(task.task_id, [completed()])
    assert backend.log.head(task.task_id).ended
    with pytest.raises(NotFound):
        backend.log.head("no-such-task")


def agent_events(agent_id: str, stage: int, summary: str) -> list[EventDraft]:
    result = AgentResult(agent_id=agent_id, stage=stage, status=AgentStatus.succeeded, score=-12.0, summary=summary)
    return [
        EventDraft(type=EventType.agent_started, stage=stage, agent_id=agent_id),
        EventDraft(type=EventType.agent_completed, stage=stage, agent_id=agent_id,
                   data={"result": result.model_dump(mode="json")}),
    ]  # fmt: skip


def test_get_shows_the_logs_progress_before_the_stream_folds_it(backend):
    task = running(backend)
    backend.log.append(task.task_id, [EventDraft(type=EventType.stage_started, stage=1)])
    backend.log.append(task.task_id, agent_events("macro", 1, "宏观：流动性偏紧，立场看空。"))
    last = backend.log.append(task.task_id, agent_events("funds", 1, "资金：主力净流出。")[:1])[-1]

    got = backend.tasks.get(task.task_id, task.owner)

    assert backend.tasks.get_projection(task.task_id).applied_seq == 2  # nothing folded by the stream
    assert (got.status, got.stage, got.applied_seq, got.progress.completed) == (TaskStatus.RUNNING, 1, last.seq, 1)
    macro, funds = got.agents["macro"], got.agents["funds"]
    assert (macro.state, macro.score) == (AgentState.succeeded, -12.0)
    assert macro.result.summary == "宏观：流动性偏紧，立场看空。"
    assert funds.state == AgentState.running
    # the stream's fold, when it comes, lands on what the read showed (and appends its progress event after)
    apply_events(backend.tasks, backend.log, backend.log.read(task.task_id, after=2))
    folded = backend.tasks.get(task.task_id, task.owner)
    assert folded.applied_seq > last.seq
    assert folded.model_dump(exclude={"applied_seq"}) == got.model_dump(exclude={"applied_seq"})


def test_get_of_a_folded_projection_changes_nothing_but_the_seq_its_own_progress_event_took(backend):
    task = running(backend)
    backend.log.append(task.task_id, agent_events("macro", 1, "first"))
    apply_events(backend.tasks, backend.log, backend.log.read(task.task_id, after=2))
    folded = backend.tasks.get_projection(task.task_id)

    got = backend.tasks.get(task.task_id)
    [progress] = backend.log.read(task.task_id, after=folded.applied_seq)
    assert progress.type == EventType.progress and got.applied_seq == progress.seq
    assert got.model_dump(exclude={"applied_seq", "agents"}) == folded.model_dump(exclude={"applied_seq", "agents"})
    assert got.agents["macro"].result.summary == "first"  # read back from its outcome event


def test_a_status_check_reads_the_head_only_and_still_reads_terminal(backend):
    task = running(backend)
    backend.log.append(task.task_id, agent_events("macro", 1, "x"))
    [end] = backend.log.append(task.task_id, [completed()])

    checked = backend.tasks.get(task.task_id, results=False)

    assert (checked.status, checked.ended_seq) == (TaskStatus.SUCCEEDED, end.seq)
    assert checked.agents["macro"].state == AgentState.pending  # nothing of the log folded: the head settles it
