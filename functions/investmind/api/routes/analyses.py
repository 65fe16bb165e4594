"""``/v1/analyses``: submit, list, read, cancel, page the events of, and stream an analysis."""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from ...errors import InvalidRequest, ServiceUnavailable, TaskEnded
from ...models import (
    AnalysisRequest,
    Event,
    EventDraft,
    EventType,
    StartRequest,
    Task,
    TaskStatus,
    utc_now_iso,
)
from ...roster import AGENT_IDS, STAGE1_IDS
from ...store import AsyncEventLog
from ..deps import Backend, BackendDep, CallerDep, CatalogDep, OwnedTaskDep, SettingsDep, TasksDep
from ..errors import ERROR_RESPONSES, ErrorResponse, UnknownSymbol, described
from ..sse import tail

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/analyses", tags=["analyses"], responses=ERROR_RESPONSES)

_PAGE = 1000
_ENDED_STATUS = {
    EventType.task_completed: TaskStatus.SUCCEEDED,
    EventType.task_failed: TaskStatus.FAILED,
    EventType.task_cancelled: TaskStatus.CANCELLED,
}


class EventStreamResponse(StreamingResponse):
    """``text/event-stream``, framed by ``sse.tail`` (not FastAPI's EventSourceResponse, which wants a generator)."""

    media_type = "text/event-stream"


class Links(BaseModel):
    self: str
    events: str
    stream: str
    cancel: str


class Accepted(BaseModel):
    task_id: str
    status: TaskStatus
    links: Links


class TaskPage(BaseModel):
    items: list[Task]
    next_cursor: str | None


class EventPage(BaseModel):
    events: list[Event]
    next_after: int | None
    """The last seq this page scanned (filtered pages advance too); null when the log had no more."""


def _accepted(request: Request, task_id: str, status: TaskStatus) -> Accepted:
    base = f"{request.scope.get('root_path', '')}/v1/analyses/{task_id}"
    links = Links(self=base, events=f"{base}/events", stream=f"{base}/stream", cancel=f"{base}/cancel")
    return Accepted(task_id=task_id, status=status, links=links)


@router.post(
    "",
    status_code=202,
    responses={
        413: described("The body exceeds 16 KB (`payload_too_large`)"),
        503: described("The analysis could not be queued; it was recorded as FAILED"),
    },
)
async def create_analysis(
    body: AnalysisRequest,
    request: Request,
    response: Response,
    caller: CallerDep,
    backend: BackendDep,
    known: CatalogDep,
    idempotency_key: Annotated[
        str | None, Header(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$", description="retry-safe key")
    ] = None,
) -> Accepted:
    if body.symbol not in known:
        raise UnknownSymbol(f"no data for symbol {body.symbol}", {"symbol": body.symbol, "known": sorted(known)})
    now = utc_now_iso()
    agents = body.agents or list(STAGE1_IDS)
    task = Task(
        task_id=uuid.uuid4().hex, owner=caller, symbol=body.symbol, as_of=body.as_of, priority=body.priority,
        agents_requested=agents, status=TaskStatus.QUEUED, created_at=now, updated_at=now,
    )  # fmt: skip
    queued = EventDraft(
        type=EventType.task_queued,
        data={"symbol": task.symbol, "as_of": body.as_of and body.as_of.isoformat(), "priority": task.priority.value,
              "agents": agents},
    )  # fmt: skip
    task, created = await backend.tasks.create(task, queued, idempotency_key)
    response.headers["Location"] = _accepted(request, task.task_id, task.status).links.self
    start = StartRequest(
        task_id=task.task_id, owner=task.owner, symbol=task.symbol, as_of=task.as_of, priority=task.priority,
        agents=task.agents_requested,
    )  # fmt: skip
    if not created:
        status = await _log_status(backend.events, task)
        if status == TaskStatus.QUEUED:
            # The first attempt may have died between its write and its send: send again. A duplicate is
            # harmless (the execution is named after the task, invariant 3); a failure here fails nothing.
            await _send(backend, start, fail_task=False)
        return _accepted(request, task.task_id, status)
    await _send(backend, start, fail_task=True)
    return _accepted(request, task.task_id, TaskStatus.QUEUED)


async def _send(backend: Backend, start: StartRequest, *, fail_task: bool) -> None:
    """Enqueue ``start``; if that fails, record the task as FAILED (when asked) and answer 503."""
    try:
        await backend.queue.send(start)
    except Exception as exc:  # any failure to enqueue: the task must not stay QUEUED silently (invariant 4)
        logger.exception("enqueue failed", extra={"task_id": start.task_id})
        if fail_task:
            await _fail_unqueued(backend.events, start.task_id, exc)
        message = "could not enqueue the analysis" + ("; it was recorded as FAILED" if fail_task else "")
        raise ServiceUnavailable(message, {"task_id": start.task_id}) from exc


async def _fail_unqueued(events: AsyncEventLog, task_id: str, exc: Exception) -> None:
    draft = EventDraft(
        type=EventType.task_failed, data={"error": "could not enqueue", "error_type": type(exc).__name__}
    )
    try:
        await events.append(task_id, [draft])
    except Exception:
        logger.exception("could not record the enqueue failure", extra={"task_id": task_id})


@router.get("")
async def list_analyses(
    caller: CallerDep,
    tasks: TasksDep,
    status: TaskStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
) -> TaskPage:
    items, next_cursor = await tasks.list(caller, status=status, limit=limit, cursor=cursor)
    return TaskPage(items=items, next_cursor=next_cursor)


@router.get("/{task_id}")
async def get_analysis(task: OwnedTaskDep) -> Task:
    return task


@router.post("/{task_id}/cancel", status_code=202)
async def cancel_analysis(request: Request, task: OwnedTaskDep, caller: CallerDep, backend: BackendDep) -> Accepted:
    if task.terminal:
        return _accepted(request, task.task_id, task.status)
    reason = f"cancelled by {caller}"
    try:
        await backend.events.append(task.task_id, [EventDraft(type=EventType.task_cancelled, data={"reason": reason})])
    except TaskEnded:  # it ended (or was cancelled) between our read and our write: report how it ended
        return _accepted(request, task.task_id, await _log_status(backend.events, task))
    try:
        await backend.executions.stop(task.task_id, reason)
    except Exception:
        # The cancel is already in the log, which refuses the execution's every later append (invariant 6),
        # so a failed stop only lets it run on idle; the answer stays "cancelled".
        logger.exception("could not stop the execution", extra={"task_id": task.task_id})
    return _accepted(request, task.task_id, TaskStatus.CANCELLED)


async def _nothing_after(events: AsyncEventLog, task: Task, cursor: int) -> bool:
    """Whether the log has ended at or before ``cursor``: the event at ``cursor`` is terminal, or the
    projection says the task ended (its terminal event is the last, so ``applied_seq`` is the end)."""
    if task.terminal and cursor >= task.applied_seq:
        return True
    if cursor < 1:
        return False
    at = await events.read(task.task_id, after=cursor - 1, limit=1)
    return bool(at) and at[0].seq == cursor and at[0].terminal


async def _log_status(events: AsyncEventLog, task: Task) -> TaskStatus:
    """The task's status once the log's terminal event, if any, is counted (the projection may lag behind it)."""
    after, status = task.applied_seq, task.status
    while True:
        page = await events.read(task.task_id, after=after, limit=_PAGE)
        if page:  # a terminal event can only be the last of the log
            after, status = page[-1].seq, _ENDED_STATUS.get(page[-1].type, status)
        if len(page) < _PAGE:
            return status


@router.get("/{task_id}/events")
async def list_analysis_events(
    task: OwnedTaskDep,
    backend: BackendDep,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    types: Annotated[list[EventType] | None, Query(alias="type", description="keep only these types")] = None,
    agent: Annotated[Literal[AGENT_IDS] | None, Query(description="keep only this agent's events")] = None,
    level: Annotated[Literal["debug", "info", "warning", "error"] | None, Query(description="log level")] = None,
) -> EventPage:
    scanned = await backend.events.read(task.task_id, after=after, limit=limit)
    kept = [
        e
        for e in scanned
        if (not types or e.type in types)
        and (agent is None or e.agent_id == agent)
        and (level is None or e.data.get("level") == level)
    ]
    return EventPage(events=kept, next_after=scanned[-1].seq if len(scanned) == limit else None)


@router.get(
    "/{task_id}/stream",
    response_class=Response,  # so the error responses stay documented as JSON
    responses={
        200: {
            "description": "`retry:`, then one frame per event: `id: <seq>`, `event: <type>`, `data: <envelope>`",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        204: {"description": "The analysis has ended and nothing follows the given position"},
        400: {"model": ErrorResponse, "description": "Malformed `Last-Event-ID`"},
    },
)
async def stream_analysis_events(
    task: OwnedTaskDep,
    backend: BackendDep,
    tasks: TasksDep,
    settings: SettingsDep,
    after: Annotated[int, Query(ge=0, description="resume after this seq (Last-Event-ID wins)")] = 0,
    last_event_id: Annotated[str | None, Header(description="the last seq received")] = None,
) -> Response:
    cursor = after
    if last_event_id is not None and last_event_id.strip():
        if not last_event_id.strip().isdigit():
            raise InvalidRequest("Last-Event-ID must be an event seq", {"last_event_id": last_event_id})
        cursor = int(last_event_id)
    if await _nothing_after(backend.events, task, cursor):
        return Response(status_code=204)  # EventSource does not reconnect after a 204

    async def finished(position: int) -> bool:
        return await _nothing_after(backend.events, await tasks.get(task.task_id), position)

    body = tail(backend.hub, task.task_id, cursor, settings, finished)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return EventStreamResponse(body, headers=headers)
