"""The Task projection: a pure fold of a task's events — the one reading of the log into state.

ProgressFunction applies it to the stream (``services.progress``), the CLI's live view folds the
events it receives with it, and the web console follows the same rules (docs/architecture.md,
"Reading the log"): events apply in seq order; ``log`` and ``progress`` events change nothing but
the position; a terminal event sets the status through ``models.TERMINAL_STATUS`` and nothing after
it changes the task; ``agent_started`` never undoes an agent's result; an agent's completion or
failure replaces its view, and the usage is the sum over the agents' results.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .models import (
    TERMINAL_STATUS,
    AgentResult,
    AgentState,
    AgentStatus,
    AgentView,
    Event,
    EventType,
    Progress,
    ResultRef,
    Task,
    TaskStatus,
    Usage,
)
from .roster import AGENTS

logger = logging.getLogger(__name__)

_DONE = frozenset({AgentState.succeeded, AgentState.failed, AgentState.skipped})

Changes = dict[str, Any]


def initial_agents(agents_requested: list[str]) -> dict[str, AgentView]:
    """Every roster agent, pending; the stage-1 analysts the caller did not ask for are skipped from the start."""
    return {
        a.agent_id: AgentView(
            agent_id=a.agent_id,
            stage=a.stage,
            state=AgentState.skipped if a.stage == 1 and a.agent_id not in agents_requested else AgentState.pending,
        )
        for a in AGENTS
    }


def fold(task: Task, event: Event) -> Task:
    """``task`` with ``event`` applied, as a new Task (``task`` is left as it was).

    Total: every event folds. ``progress`` and ``log`` events, and any event once the task has ended (a late
    agent after a cancel), only move ``applied_seq``.
    """
    if task.terminal or event.type in (EventType.progress, EventType.log):
        return task.model_copy(update={"applied_seq": event.seq})
    agents = {**initial_agents(task.agents_requested), **task.agents}
    changes: Changes = {"agents": agents}
    folder = _FOLDERS.get(event.type)
    if folder is not None:
        folder(task, event, changes)
    changes.update(applied_seq=event.seq, updated_at=event.ts)
    folded = Task.model_validate({**task.model_dump(), **changes})
    return folded.model_copy(update={"progress": _progress(folded)})


def settle(task: Task, terminal: Event | None) -> Task:
    """``task`` as a reader sees it once its log holds ``terminal``: that event folded in at once.

    The projection may lag the log by a stream batch; the log head keeps its terminal event, so a read
    folds it here (invariant 8). Only the outcome moves: ``applied_seq`` stays the projection's own,
    since the events between it and the terminal one are not folded (``ended_seq`` says where the log ends).
    """
    if terminal is None or task.terminal:
        return task
    return fold(task, terminal).model_copy(update={"applied_seq": task.applied_seq})


CATCH_UP_EVENTS = 500
"""Most events a read folds past the projection: far more than an analysis writes (about 60), so in practice
all of them; a projection further behind than this is the reconciler's to heal."""


def caught_up(task: Task, events: Sequence[Event]) -> Task:
    """``task`` with the log's events after its ``applied_seq`` folded in, in order, up to the first gap.

    The stream folds the log into the projection a batch at a time, so the stored projection may lag the
    log; a read folds the rest itself (invariant 8), and shows the log's progress, not the stream's.
    """
    for event in events:
        if event.seq != task.applied_seq + 1:
            break
        task = fold(task, event)
    return task


def _progress(task: Task) -> Progress:
    total = len(AGENTS)
    completed = sum(1 for view in task.agents.values() if view.state in _DONE)
    # 100 means "the decision is there": a task whose agents are all done is still finishing until then.
    percent = 100 if task.status == TaskStatus.SUCCEEDED else min(99, 100 * completed // total)
    return Progress(percent=percent, stage=task.stage, completed=completed, total=total)


def _task_queued(task: Task, event: Event, changes: Changes) -> None:
    changes["status"] = TaskStatus.QUEUED


def _task_started(task: Task, event: Event, changes: Changes) -> None:
    changes.update(status=TaskStatus.RUNNING, started_at=event.ts)
    if event.data.get("as_of"):
        changes["as_of"] = dt.date.fromisoformat(str(event.data["as_of"]))


def _stage_started(task: Task, event: Event, changes: Changes) -> None:
    changes["stage"] = event.stage


def _agent_started(task: Task, event: Event, changes: Changes) -> None:
    view = _view(changes, event)
    if view is not None and view.state not in _DONE:  # a retried attempt must not undo a result
        _set_view(changes, view, state=AgentState.running, started_at=view.started_at or event.ts)


def _agent_completed(task: Task, event: Event, changes: Changes) -> None:
    view = _view(changes, event)
    fields = _outcome_fields(event)
    if view is None or fields is None:
        return
    result: AgentResult = fields["result"]
    _set_view(changes, view, **fields, state=AgentState(result.status.value), ended_at=event.ts)
    changes["usage"] = _usage(changes["agents"])
    if result.status == AgentStatus.failed:
        changes["degraded"] = True


def _agent_failed(task: Task, event: Event, changes: Changes) -> None:
    view = _view(changes, event)
    if view is None:
        return
    fields = _outcome_fields(event) or {"error": event.data.get("error")}
    _set_view(changes, view, **fields, state=AgentState.failed, ended_at=event.ts)
    changes.update(degraded=True, usage=_usage(changes["agents"]))


def _task_completed(task: Task, event: Event, changes: Changes) -> None:
    changes.update(
        status=TERMINAL_STATUS[event.type],
        ended_seq=event.seq,
        decision=event.data.get("decision"),
        degraded=task.degraded or bool(event.data.get("degraded")),
        ended_at=event.ts,
    )
    if event.data.get("usage"):
        changes["usage"] = event.data["usage"]


def _task_failed(task: Task, event: Event, changes: Changes) -> None:
    changes.update(
        status=TERMINAL_STATUS[event.type], ended_seq=event.seq, error=event.data.get("error") or "failed",
        ended_at=event.ts,
    )  # fmt: skip


def _task_cancelled(task: Task, event: Event, changes: Changes) -> None:
    changes.update(status=TERMINAL_STATUS[event.type], ended_seq=event.seq, ended_at=event.ts)


_FOLDERS: dict[EventType, Callable[[Task, Event, Changes], None]] = {
    EventType.task_queued: _task_queued,
    EventType.task_started: _task_started,
    EventType.stage_started: _stage_started,
    EventType.agent_started: _agent_started,
    EventType.agent_completed: _agent_completed,
    EventType.agent_failed: _agent_failed,
    EventType.task_completed: _task_completed,
    EventType.task_failed: _task_failed,
    EventType.task_cancelled: _task_cancelled,
}


def _view(changes: Changes, event: Event) -> AgentView | None:
    view = changes["agents"].get(event.agent_id or "")
    if view is None:
        logger.warning("event for an unknown agent", extra={"seq": event.seq, "agent_id": event.agent_id})
    return view


def _set_view(changes: Changes, view: AgentView, **fields: Any) -> None:
    changes["agents"] = {**changes["agents"], view.agent_id: view.model_copy(update=fields)}


def _outcome_fields(event: Event) -> dict[str, Any] | None:
    """What an agent's ``agent_completed`` / ``agent_failed`` event sets in its view (None without a result)."""
    if not event.data.get("result"):
        return None
    result = AgentResult.model_validate(event.data["result"])
    error = (event.data.get("error") or result.error) if event.type == EventType.agent_failed else result.error
    return {
        "stance": result.stance,
        "score": result.score,
        "confidence": result.confidence,
        "summary": result.summary,
        "provider": result.provider,
        "error": error,
        "usage": result.usage,
        "result_seq": event.seq,
        "result": result,
    }


def _usage(agents: dict[str, AgentView]) -> Usage:
    """The sum over the agents' results: recomputed, so an agent's repeated completion is counted once."""
    usages = (view.usage or (view.result.usage if view.result else None) for view in agents.values())
    return sum((usage for usage in usages if usage is not None), Usage())


# --- The task as stored: bounded whatever an LLM writes (invariant 9) --------------------------------------


def bounded(task: Task) -> Task:
    """``task`` as the task item keeps it: each agent's view without its result and summary.

    Those are in the log already, in the event at ``result_seq``; keeping them in the item too made it
    grow with what the LLM wrote (ten narratives at the reply model's limit passed DynamoDB's 400 KB)
    and stored each summary twice. :func:`with_results` puts them back for a read.
    """
    agents = {k: v.model_copy(update={"result": None, "summary": None}) for k, v in task.agents.items()}
    return task.model_copy(update={"agents": agents})


def result_seqs(task: Task) -> list[int]:
    """The seqs of the events holding the results of ``task``'s agents, in agent order."""
    return [view.result_seq for view in task.agents.values() if view.result_seq is not None and view.result is None]


def with_results(task: Task, events: Mapping[int, Event]) -> Task:
    """``task`` with each agent's result, summary and error taken from its outcome event (by ``result_seq``).

    The same fields the fold set from that event, so a bounded task read back is the task the fold made.
    """
    agents = dict(task.agents)
    for agent_id, view in task.agents.items():
        event = events.get(view.result_seq) if view.result_seq is not None else None
        fields = _outcome_fields(event) if event is not None and event.agent_id == agent_id else None
        if fields is not None:
            agents[agent_id] = view.model_copy(update=fields)
    return task.model_copy(update={"agents": agents})


def results_of(refs: Sequence[ResultRef], events: Mapping[int, Event]) -> dict[str, AgentResult]:
    """The results ``refs`` point at, by agent, from ``events`` (the outcome events read at the refs' seqs).

    A ref without a seq (its outcome was refused: the task had ended) has no result to load and is left
    out. A ref whose event is missing or is not that agent's outcome is a broken log: ``LookupError``.
    """
    results: dict[str, AgentResult] = {}
    for ref in refs:
        if ref.seq is None:
            continue
        event = events.get(ref.seq)
        fields = _outcome_fields(event) if event is not None and event.agent_id == ref.agent_id else None
        if fields is None:
            raise LookupError(f"the result of {ref.agent_id} is not in the log at seq {ref.seq}")
        results[ref.agent_id] = fields["result"]
    return results
