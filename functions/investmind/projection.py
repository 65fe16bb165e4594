"""The Task projection: a pure fold of a task's events, and how ProgressFunction applies each stream record."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .errors import Conflict, NotFound, TaskEnded
from .models import (
    AgentResult,
    AgentState,
    AgentStatus,
    AgentView,
    Event,
    EventDraft,
    EventType,
    Progress,
    Task,
    TaskStatus,
    Usage,
)
from .roster import AGENTS

if TYPE_CHECKING:  # the ports only: the fold never loads a storage backend
    from .store.base import EventLog, TaskStore

logger = logging.getLogger(__name__)

MAX_SAVE_ATTEMPTS = 5
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
    if view is None or "result" not in event.data:
        return
    result = AgentResult.model_validate(event.data["result"])
    _set_view(changes, view, **_result_fields(result), state=AgentState(result.status.value), ended_at=event.ts)
    changes["usage"] = _usage(changes["agents"])
    if result.status == AgentStatus.failed:
        changes["degraded"] = True


def _agent_failed(task: Task, event: Event, changes: Changes) -> None:
    view = _view(changes, event)
    if view is None:
        return
    result = AgentResult.model_validate(event.data["result"]) if event.data.get("result") else None
    error = event.data.get("error") or (result.error if result else None)
    fields = {**(_result_fields(result) if result else {}), "error": error}
    _set_view(changes, view, **fields, state=AgentState.failed, ended_at=event.ts)
    changes.update(degraded=True, usage=_usage(changes["agents"]))


def _task_completed(task: Task, event: Event, changes: Changes) -> None:
    changes.update(
        status=TaskStatus.SUCCEEDED,
        decision=event.data.get("decision"),
        degraded=task.degraded or bool(event.data.get("degraded")),
        ended_at=event.ts,
    )
    if event.data.get("usage"):
        changes["usage"] = event.data["usage"]


def _task_failed(task: Task, event: Event, changes: Changes) -> None:
    changes.update(status=TaskStatus.FAILED, error=event.data.get("error") or "failed", ended_at=event.ts)


def _task_cancelled(task: Task, event: Event, changes: Changes) -> None:
    changes.update(status=TaskStatus.CANCELLED, ended_at=event.ts)


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


def _result_fields(result: AgentResult) -> dict[str, Any]:
    return {
        "stance": result.stance,
        "score": result.score,
        "confidence": result.confidence,
        "summary": result.summary,
        "provider": result.provider,
        "error": result.error,
        "result": result,
    }


def _usage(agents: dict[str, AgentView]) -> Usage:
    """The sum over the agents' results: recomputed, so an agent's repeated completion is counted once."""
    return sum((view.result.usage for view in agents.values() if view.result is not None), Usage())


# --- ProgressFunction ----------------------------------------------------------------------------------------


def apply_event(tasks: TaskStore, log: EventLog, event: Event) -> None:
    """Fold one stream record into its task (see :func:`apply_events`)."""
    apply_events(tasks, log, [event])


def apply_events(tasks: TaskStore, log: EventLog, events: Sequence[Event]) -> None:
    """Fold one task's stream records into it, once, and announce a move of percent or stage as a ``progress`` event.

    ProgressFunction hands over all of a batch's records of one task together, so a burst of events
    costs one read, one conditional write and at most one progress event. Records at or below the
    task's ``applied_seq`` were applied before (stream records are replayed) and change nothing; a gap
    before the first new record is filled from the log, so the fold always runs in seq order.

    Parameters
    ----------
    tasks, log
        The stores the projection is read from and written to.
    events
        Events of one task (the NEW_IMAGEs of its stream records), in any order.
    """
    ordered = sorted(events, key=lambda e: e.seq)
    task_id = ordered[0].task_id
    for attempt in range(MAX_SAVE_ATTEMPTS):
        try:
            before = tasks.get(task_id)
        except NotFound:
            # Nothing to project onto (expired): failing the record would only block the stream shard.
            logger.warning("events of an unknown task", extra={"task_id": task_id, "seq": ordered[-1].seq})
            return
        pending = [e for e in ordered if e.seq > before.applied_seq]
        if not pending:
            return
        after = before
        for event in _through(log, before.applied_seq, pending):
            after = fold(after, event)
        if tasks.save_projection(after, expected_applied_seq=before.applied_seq, before=before):
            break
        logger.info("projection moved under us", extra={"task_id": task_id, "attempt": attempt})
    else:
        raise Conflict(f"could not save the projection of analysis {task_id}")
    if any(e.type != EventType.progress for e in pending) and not after.terminal and _moved(before, after):
        _announce(log, after)


def _through(log: EventLog, applied_seq: int, pending: list[Event]) -> list[Event]:
    """The events after ``applied_seq`` up to the last pending one, in order (missing ones read from the log)."""
    last = pending[-1].seq
    if [e.seq for e in pending] == list(range(applied_seq + 1, last + 1)):
        return pending
    events = log.read(pending[0].task_id, after=applied_seq, limit=last - applied_seq)
    if [e.seq for e in events] != list(range(applied_seq + 1, last + 1)):
        # The log is gap-free, so this is a read racing a commit: fail the record, the stream delivers it again.
        raise Conflict(f"analysis {pending[0].task_id}: events {applied_seq + 1}..{last} not readable yet")
    logger.info("stream gap repaired from the log", extra={"task_id": pending[0].task_id, "events": len(events)})
    return events


def _moved(before: Task, after: Task) -> bool:
    return (before.progress.percent, before.progress.stage) != (after.progress.percent, after.progress.stage)


def _announce(log: EventLog, task: Task) -> None:
    draft = EventDraft(type=EventType.progress, data=task.progress.model_dump(mode="json"))
    try:
        log.append(task.task_id, [draft])
    except TaskEnded:
        logger.debug("task ended before its progress event", extra={"task_id": task.task_id})
