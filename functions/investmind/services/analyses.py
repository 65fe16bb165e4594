"""The API's use cases: submit, read, list, cancel an analysis, and page or follow its log.

Routes parse the request, call one method here and shape the answer; this module knows no HTTP and
no AWS, only the ports (``services.ports``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Collection
from dataclasses import dataclass

from ..errors import InvalidRequest, ServiceUnavailable, TaskEnded, UnknownSymbol
from ..market.symbols import normalize_symbol
from ..models import (
    AnalysisRequest,
    Event,
    EventDraft,
    EventType,
    StartRequest,
    Task,
    TaskStatus,
    TaskSummary,
    status_after,
    utc_now_iso,
)
from ..roster import STAGE1_IDS
from .ports import AsyncEventLog, AsyncTaskStore, ExecutionStopper, StartQueue, TaskQuery
from .quotas import Quota, check_quota

logger = logging.getLogger(__name__)

_PAGE = 1000


@dataclass(frozen=True, slots=True)
class Submitted:
    task_id: str
    status: TaskStatus


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events of a page to keep (all, when empty)."""

    types: Collection[EventType] = ()
    agent: str | None = None
    level: str | None = None

    def keeps(self, event: Event) -> bool:
        return (
            (not self.types or event.type in self.types)
            and (self.agent is None or event.agent_id == self.agent)
            and (self.level is None or event.data.get("level") == self.level)
        )


class Analyses:
    """Analyses as one caller sees them.

    Parameters
    ----------
    tasks, events
        The task store and the event log.
    queue
        Where a new task is sent to be started.
    executions
        Stops a cancelled task's execution.
    """

    def __init__(
        self, tasks: AsyncTaskStore, events: AsyncEventLog, queue: StartQueue, executions: ExecutionStopper
    ) -> None:
        self.tasks = tasks
        self.events = events
        self._queue = queue
        self._executions = executions

    async def submit(
        self,
        owner: str,
        request: AnalysisRequest,
        known: Collection[str],
        idempotency_key: str | None = None,
        quota: Quota | None = None,
    ) -> Submitted:
        """Create the task with its first event and queue it; a replayed key returns the first task.

        A key replayed with a different request raises ``IdempotencyKeyReused`` (422) and creates nothing.

        Over ``quota``, ``TooManyRequests`` is raised and nothing is created.

        A task whose message cannot be sent ends FAILED at once (and ``ServiceUnavailable`` is raised),
        so it never waits in QUEUED for a start that cannot come (invariant 4, docs/architecture.md).
        """
        if request.symbol not in known:
            details = {"symbol": request.symbol, "known": sorted(known)}
            raise UnknownSymbol(f"no data for symbol {request.symbol}", details)
        if quota is not None:
            await check_quota(self.tasks, owner, quota)
        task, queued = _new_task(owner, request)
        fingerprint = request_fingerprint(request) if idempotency_key is not None else None
        task, created = await self.tasks.create(task, queued, idempotency_key, fingerprint)
        start = StartRequest(
            task_id=task.task_id, owner=task.owner, symbol=task.symbol, as_of=task.as_of, priority=task.priority,
            agents=task.agents_requested,
        )  # fmt: skip
        if created:
            await self._send(start, fail_task=True)
            return Submitted(task.task_id, TaskStatus.QUEUED)
        status = await self.status(task)
        if status == TaskStatus.QUEUED:
            # The first attempt may have died between its write and its send: send again. A duplicate is
            # harmless (the execution is named after the task, invariant 3); a failure here fails nothing.
            await self._send(start, fail_task=False)
        return Submitted(task.task_id, status)

    async def get(self, owner: str, task_id: str, *, results: bool = True) -> Task:
        """The caller's task (``NotFound`` for another owner's: invariant 5); with every agent's whole result
        unless ``results`` is False (the routes that only check ownership or status)."""
        return await self.tasks.get(task_id, owner=owner, results=results)

    async def list(
        self, owner: str, status: TaskStatus | None, limit: int, cursor: str | None, symbol: str | None = None
    ) -> tuple[list[TaskSummary], str | None]:
        """The caller's analyses as summaries (bounded: no agent results, no narrative, invariant 9);
        ``symbol`` in any form a submission accepts (``InvalidRequest`` when it is not a symbol)."""
        if symbol is not None:
            try:
                symbol = normalize_symbol(symbol)
            except ValueError as exc:
                raise InvalidRequest(str(exc), {"symbol": symbol}) from exc
        query = TaskQuery(owner, status=status, limit=limit, cursor=cursor, symbol=symbol)
        tasks, next_cursor = await self.tasks.list(query)
        return [TaskSummary.of(task) for task in tasks], next_cursor

    async def cancel(self, owner: str, task_id: str) -> Submitted:
        """Cancel: ``task_cancelled`` into the log first (which then refuses every later append, invariant 6),
        then stop the execution. Idempotent: an ended task answers with how it ended."""
        task = await self.get(owner, task_id, results=False)
        if task.terminal:
            return Submitted(task.task_id, task.status)
        reason = f"cancelled by {owner}"
        try:
            await self.events.append(task.task_id, [EventDraft(type=EventType.task_cancelled, data={"reason": reason})])
        except TaskEnded:  # it ended between our read and our write: report how it ended
            return Submitted(task.task_id, await self.status(task))
        try:
            await self._executions.stop(task.task_id, reason)
        except Exception:
            # The log already refuses the execution's every later append, so a failed stop only lets it
            # run on idle; the answer stays "cancelled".
            logger.exception("could not stop the execution", extra={"task_id": task.task_id})
        return Submitted(task.task_id, TaskStatus.CANCELLED)

    async def page(self, task: Task, after: int, limit: int, keep: EventFilter) -> tuple[list[Event], int | None]:
        """One page of the log after ``after``, filtered, and the seq to continue after (None: no more)."""
        scanned = await self.events.read(task.task_id, after=after, limit=limit)
        kept = [event for event in scanned if keep.keeps(event)]
        return kept, scanned[-1].seq if len(scanned) == limit else None

    async def status(self, task: Task) -> TaskStatus:
        """The task's status with the log's terminal event counted (the projection may lag behind the log)."""
        after, status = task.applied_seq, task.status
        while True:
            page = await self.events.read(task.task_id, after=after, limit=_PAGE)
            if page:  # a terminal event can only be the last of the log
                after, status = page[-1].seq, status_after(page[-1].type, status)
            if len(page) < _PAGE:
                return status

    async def ended_by(self, task_id: str, cursor: int, task: Task | None = None) -> bool:
        """Whether the log has ended at or before ``cursor``: nothing can follow that position.

        The event at ``cursor`` is terminal, or the task (``task``, else read now) has ended at a seq
        at or before ``cursor``: ``ended_seq``, or for a projection folded before that field existed,
        its ``applied_seq`` (a terminal event is the last of its log).
        """
        task = task or await self.tasks.get(task_id, results=False)  # asked while a stream idles: no results
        end = task.ended_seq if task.ended_seq is not None else task.applied_seq
        if task.terminal and cursor >= end:
            return True
        if cursor < 1:
            return False
        at = await self.events.read(task_id, after=cursor - 1, limit=1)
        return bool(at) and at[0].seq == cursor and at[0].terminal

    async def _send(self, start: StartRequest, *, fail_task: bool) -> None:
        try:
            await self._queue.send(start)
        except Exception as exc:  # any failure to enqueue: the task must not stay QUEUED silently
            logger.exception("enqueue failed", extra={"task_id": start.task_id})
            if fail_task:
                await self._fail_unqueued(start.task_id, exc)
            message = "could not enqueue the analysis" + ("; it was recorded as FAILED" if fail_task else "")
            raise ServiceUnavailable(message, {"task_id": start.task_id}) from exc

    async def _fail_unqueued(self, task_id: str, exc: Exception) -> None:
        draft = EventDraft(
            type=EventType.task_failed, data={"error": "could not enqueue", "error_type": type(exc).__name__}
        )
        try:
            await self.events.append(task_id, [draft])
        except Exception:
            logger.exception("could not record the enqueue failure", extra={"task_id": task_id})


def request_fingerprint(request: AnalysisRequest) -> str:
    """SHA-256 of the request as validated: canonical, so ``600519`` and ``600519.SH``, or an omitted
    default and the default spelt out, are the same request."""
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _new_task(owner: str, request: AnalysisRequest) -> tuple[Task, EventDraft]:
    now = utc_now_iso()
    agents = request.agents or list(STAGE1_IDS)
    task = Task(
        task_id=uuid.uuid4().hex, owner=owner, symbol=request.symbol, as_of=request.as_of, priority=request.priority,
        agents_requested=agents, status=TaskStatus.QUEUED, created_at=now, updated_at=now,
    )  # fmt: skip
    queued = EventDraft(
        type=EventType.task_queued,
        data={"symbol": task.symbol, "as_of": request.as_of and request.as_of.isoformat(),
              "priority": task.priority.value, "agents": agents},
    )  # fmt: skip
    return task, queued
