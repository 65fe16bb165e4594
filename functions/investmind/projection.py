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
from collections.abc import Callable
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
        status=TERMINAL_STATUS[event.type],
        decision=event.data.get("decision"),
        degraded=task.degraded or bool(event.data.get("degraded")),
        ended_at=event.ts,
    )
    if event.data.get("usage"):
        changes["usage"] = event.data["usage"]


def _task_failed(task: Task, event: Event, changes: Changes) -> None:
    changes.update(status=TERMINAL_STATUS[event.type], error=event.data.get("error") or "failed", ended_at=event.ts)


def _task_cancelled(task: Task, event: Event, changes: Changes) -> None:
    changes.update(status=TERMINAL_STATUS[event.type], ended_at=event.ts)


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
