"""The reconciler's use case: settle what the state machine and the stream could not (docs/reliability.md).

For every open task (its projection QUEUED or RUNNING, found through the store's sparse open-tasks
index, never a scan), oldest first:

1. **heal the projection**: fold from the log whatever the projection lacks (ProgressFunction's records
   may have been dropped after their retries), through ProgressFunction's own write path
   (``services.progress``), so the stored form has one writer's code;
2. **settle the task** when its log is still open and one of these holds, with ONE terminal event that
   says why, through the log's terminal path (``services.failures``; the log refuses a second one, so a
   settlement racing the state machine's own writer is exactly-once either way):

   - its execution ended FAILED, TIMED_OUT or ABORTED (the execution-ended rule's event was lost, or its
     target failed every time): ``task_failed`` as ExecutionEndedFunction would have written it;
   - its execution ended SUCCEEDED with no terminal event (cannot happen while Finalize and FailTask
     write theirs first; settled rather than left open);
   - it never started: QUEUED, no execution, past the start deadline (the API died between creating the
     task and sending its message). It is failed, not sent again: past the deadline the caller has been
     waiting for minutes, a backed-up queue and a lost message look the same from here, and a failure is
     an answer the caller can act on (submit again) where a late start may run on data they no longer
     want; the starter refuses a task whose log has ended, so a message that was in fact waiting starts
     nothing;
   - it passed the overall deadline with its execution still running: the terminal event first (it
     carries the reason, and the log then refuses the execution's every later write, as a cancel does),
     then the execution is stopped; its ABORTED status then finds the log ended.

   and then fold the settlement into the projection, so the task leaves the open-tasks index.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

from pydantic import BaseModel, Field

from ..errors import NotFound
from .failures import ExecutionEnded, record_task_failure
from .ports import EventLog, ExecutionControl, TaskStore
from .progress import fold_from_log

logger = logging.getLogger(__name__)

ENDED_UNHANDLED = frozenset({"FAILED", "TIMED_OUT", "ABORTED"})
"""Execution statuses the execution-ended rule reports (template.yaml, ExecutionEndedFunction)."""
_PAGE = 100


class Deadlines(BaseModel):
    """How long a task may stay open, from its creation (settings ``reconcile_*``)."""

    start_s: int = Field(default=900, ge=1)
    """QUEUED with no execution past this: it never started."""
    overall_s: int = Field(default=3600, ge=1)
    """Open past this, whatever its execution does: stopped and failed."""


class Settlement(BaseModel):
    task_id: str
    error_type: str
    reason: str


class ReconcileReport(BaseModel):
    """What one run did: the open tasks it examined, the projections it rebuilt, the tasks it settled."""

    examined: int = 0
    rebuilt: list[str] = Field(default_factory=list)
    """Tasks whose projection lagged the log and was folded up to it."""
    settled: list[Settlement] = Field(default_factory=list)
    """Tasks this run ended, each with the terminal event's reason."""
    errors: dict[str, str] = Field(default_factory=dict)
    """Tasks this run could not handle (by task id: the error); the next run tries again."""
    next_cursor: str | None = None
    """Set when the pass stopped at its task or time budget with open tasks left: pass it back to go on."""


Clock = Callable[[], dt.datetime]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def reconcile(
    tasks: TaskStore,
    log: EventLog,
    executions: ExecutionControl,
    deadlines: Deadlines,
    max_tasks: int = 1000,
    now: Clock = _utc_now,
    *,
    cursor: str | None = None,
    budget_s: float | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> ReconcileReport:
    """One pass over the open tasks, oldest first (after ``cursor``, when given); one task's error never
    stops the pass.

    It stops after ``max_tasks`` or, between pages, once ``budget_s`` seconds have gone (the caller's own
    limit: API Gateway's 30 s for the admin route, the function's remaining time for the schedule); the
    report's ``next_cursor`` then says where to go on. A page of open tasks takes well under a second.
    """
    report = ReconcileReport()
    deadline = monotonic() + budget_s if budget_s is not None else None
    while True:
        task_ids, cursor = tasks.list_open(limit=min(_PAGE, max_tasks - report.examined), cursor=cursor)
        for task_id in task_ids:
            report.examined += 1
            try:
                _reconcile_task(task_id, tasks, log, executions, deadlines, now(), report)
            except Exception as exc:  # noqa: BLE001 - reported, and retried by the next run
                logger.exception("could not reconcile", extra={"task_id": task_id})
                report.errors[task_id] = f"{type(exc).__name__}: {exc}"[:500]
        out_of_budget = report.examined >= max_tasks or (deadline is not None and monotonic() >= deadline)
        if cursor is None or out_of_budget:
            report.next_cursor = cursor
            break
    logger.info(
        "reconciled",
        extra={"examined": report.examined, "rebuilt": len(report.rebuilt), "settled": len(report.settled),
               "more": report.next_cursor is not None},
    )  # fmt: skip
    return report


def _reconcile_task(
    task_id: str,
    tasks: TaskStore,
    log: EventLog,
    executions: ExecutionControl,
    deadlines: Deadlines,
    now: dt.datetime,
    report: ReconcileReport,
) -> None:
    try:
        head = log.head(task_id)
        projection = tasks.get_projection(task_id)
    except NotFound:  # expired between the index and the read: nothing left to settle
        return
    if projection.applied_seq < head.next_seq - 1 and _heal(tasks, log, task_id, report):
        report.rebuilt.append(task_id)
    if head.ended:
        return
    # Decided on the log and the execution alone, so a projection that cannot be folded never keeps a task open.
    settlement = _settle(task_id, _age_s(projection.created_at, now), executions, deadlines)
    if settlement is None:
        return
    if record_task_failure(task_id, settlement.error_type, settlement.reason, log):
        report.settled.append(settlement)
        logger.warning("task settled by the reconciler", extra=settlement.model_dump())
    if settlement.error_type == "DeadlineExceeded":
        executions.stop(task_id, settlement.reason, error=settlement.error_type)
    _heal(tasks, log, task_id, report)  # the terminal event: the projection leaves the open-tasks index


def _heal(tasks: TaskStore, log: EventLog, task_id: str, report: ReconcileReport) -> int:
    """Fold what the projection lacks; a fold that fails is reported (reads stay right: the log head settles them)."""
    try:
        return fold_from_log(tasks, log, task_id)
    except Exception as exc:  # noqa: BLE001 - the settlement must not depend on the fold
        logger.exception("could not fold the projection from the log", extra={"task_id": task_id})
        report.errors[task_id] = f"fold: {type(exc).__name__}: {exc}"[:500]
        return 0


def _settle(task_id: str, age_s: float, executions: ExecutionControl, deadlines: Deadlines) -> Settlement | None:
    """The settlement an open log is due, or None while its task may still end on its own."""
    execution = executions.status(task_id)
    if execution in ENDED_UNHANDLED:
        # The very event ExecutionEndedFunction writes (services.failures), had the rule's event reached it.
        error_type, reason = ExecutionEnded(name=task_id, status=execution).describe()
        return Settlement(task_id=task_id, error_type=error_type, reason=reason)
    if execution == "SUCCEEDED":
        reason = "the execution ended SUCCEEDED without a terminal event"
        return Settlement(task_id=task_id, error_type="ExecutionSucceeded", reason=reason)
    # No execution means nothing ever ran it (PrepareData, which starts it, runs inside one).
    if execution is None and age_s > deadlines.start_s:
        reason = f"never started: no execution {deadlines.start_s} s after it was queued"
        return Settlement(task_id=task_id, error_type="NeverStarted", reason=reason)
    if age_s > deadlines.overall_s:
        reason = f"not ended {deadlines.overall_s} s after it was queued (execution {execution or 'none'})"
        return Settlement(task_id=task_id, error_type="DeadlineExceeded", reason=reason)
    return None


def _age_s(created_at: str, now: dt.datetime) -> float:
    created = dt.datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    return (now - created).total_seconds()
