"""``/v1/analyses``: submit, list, read, cancel, page the events of, and stream an analysis."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from starlette.background import BackgroundTask

from ...errors import InvalidRequest
from ...models import MAX_SEQ, AnalysisRequest, Event, EventType, Task, TaskStatus, TaskSummary
from ...roster import AGENT_IDS
from ...services.analyses import EventFilter, Submitted
from ...services.quotas import Quota
from ..deps import (
    AnalysesDep,
    BackendDep,
    CallerDep,
    CatalogDep,
    OwnedTaskDep,
    SettingsDep,
    StreamTaskDep,
    WholeTaskDep,
)
from ..errors import ERROR_RESPONSES, ErrorResponse, described
from ..sse import leased, tail

router = APIRouter(prefix="/v1/analyses", tags=["analyses"], responses=ERROR_RESPONSES)


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


class StreamToken(BaseModel):
    token: str
    """For ``GET …/stream?token=``: this analysis, this owner, until ``expires_at``; never for another route."""
    expires_at: int
    """Epoch seconds."""
    stream: str
    """The stream's URL with the token (resume with ``&after=<last seq>``)."""


class TaskPage(BaseModel):
    items: list[TaskSummary]
    next_cursor: str | None


class EventPage(BaseModel):
    events: list[Event]
    next_after: int | None
    """The last seq this page scanned (filtered pages advance too); null when the log had no more."""


SSE_EVENT_SCHEMA = {
    "title": "EventFrame", "type": "object", "required": ["id", "event", "data"],
    "properties": {
        "id": {"type": "string", "pattern": "^[1-9][0-9]{0,14}$", "description": "the event's seq"},
        "event": {"$ref": "#/components/schemas/EventType"},
        "data": {
            "type": "string", "description": "the event's envelope, as JSON",
            "contentMediaType": "application/json", "contentSchema": {"$ref": "#/components/schemas/Event"},
        },
    },
}  # fmt: skip
"""One event of the stream as a Server-Sent Events parser (WHATWG) yields it. Before OpenAPI 3.2 (``itemSchema``)
a ``text/event-stream`` schema describes each event, not the body; ``retry:`` and ``: heartbeat`` frames are
no events (they carry no data). ``sse.frame`` writes them; the components named are the events route's."""

_SEQ = re.compile(r"[0-9]{1,15}")
"""ASCII digits only (``str.isdigit`` accepts ``²``, which ``int`` refuses), and few enough to be a seq."""


def _resume_position(last_event_id: str | None, after: int) -> int:
    """Where a stream resumes: ``Last-Event-ID`` when the client sent one (EventSource does), else ``after``."""
    if last_event_id is None or not last_event_id.strip():
        return after
    value = last_event_id.strip()
    if not _SEQ.fullmatch(value) or int(value) > MAX_SEQ:
        raise InvalidRequest(
            f"Last-Event-ID must be an event seq from 0 to {MAX_SEQ}", {"last_event_id": value[:32]}
        )  # the details echo at most a prefix: a 5,000-digit header is not repeated back
    return int(value)


def _accepted(request: Request, submitted: Submitted) -> Accepted:
    base = f"{request.scope.get('root_path', '')}/v1/analyses/{submitted.task_id}"
    links = Links(self=base, events=f"{base}/events", stream=f"{base}/stream", cancel=f"{base}/cancel")
    return Accepted(task_id=submitted.task_id, status=submitted.status, links=links)


@router.post(
    "",
    status_code=202,
    responses={
        413: described("The body exceeds 16 KB (`payload_too_large`)"),
        429: described("Over the owner's quota (`too_many_requests`); `Retry-After` says when; nothing created"),
        503: described("The analysis could not be queued; it was recorded as FAILED"),
    },
)
async def create_analysis(
    body: AnalysisRequest,
    request: Request,
    response: Response,
    caller: CallerDep,
    analyses: AnalysesDep,
    known: CatalogDep,
    settings: SettingsDep,
    idempotency_key: Annotated[
        str | None, Header(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$", description="retry-safe key")
    ] = None,
) -> Accepted:
    quota = Quota(active=settings.max_active_per_owner, daily=settings.max_daily_per_owner)
    submitted = await analyses.submit(caller, body, known, idempotency_key, quota)
    accepted = _accepted(request, submitted)
    response.headers["Location"] = accepted.links.self
    return accepted


@router.get("")
async def list_analyses(
    caller: CallerDep,
    analyses: AnalysesDep,
    status: TaskStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=1000,
            description="`next_cursor` of the previous page (opaque)",
            json_schema_extra={"pattern": "^[A-Za-z0-9_-]*$"},
        ),
    ] = None,
    symbol: Annotated[
        str | None, Query(min_length=1, max_length=16, description="only this symbol's analyses: 600519, 600519.SH, …")
    ] = None,
) -> TaskPage:
    items, next_cursor = await analyses.list(caller, status, limit, cursor, symbol)
    return TaskPage(items=items, next_cursor=next_cursor)


@router.get("/{task_id}")
async def get_analysis(task: WholeTaskDep) -> Task:
    return task


@router.post("/{task_id}/cancel", status_code=202)
async def cancel_analysis(request: Request, task: OwnedTaskDep, caller: CallerDep, analyses: AnalysesDep) -> Accepted:
    return _accepted(request, await analyses.cancel(caller, task.task_id))


@router.post("/{task_id}/stream-token")
async def create_stream_token(
    request: Request, task: OwnedTaskDep, backend: BackendDep, settings: SettingsDep, response: Response
) -> StreamToken:
    """A short-lived token for the stream's query string: a browser's EventSource cannot send headers."""
    token, expires_at = (await backend.stream_tokens(settings)).issue(task.owner, task.task_id)
    response.headers["Cache-Control"] = "no-store"
    stream = f"{request.scope.get('root_path', '')}/v1/analyses/{task.task_id}/stream?token={token}"
    return StreamToken(token=token, expires_at=expires_at, stream=stream)


@router.get("/{task_id}/events")
async def list_analysis_events(
    task: OwnedTaskDep,
    analyses: AnalysesDep,
    after: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    types: Annotated[list[EventType] | None, Query(alias="type", description="keep only these types")] = None,
    agent: Annotated[Literal[AGENT_IDS] | None, Query(description="keep only this agent's events")] = None,
    level: Annotated[Literal["debug", "info", "warning", "error"] | None, Query(description="log level")] = None,
) -> EventPage:
    events, next_after = await analyses.page(task, after, limit, EventFilter(types or (), agent, level))
    return EventPage(events=events, next_after=next_after)


@router.get(
    "/{task_id}/stream",
    response_class=Response,  # so the error responses stay documented as JSON
    responses={
        200: {
            "description": "`retry:`, then one frame per event: `id: <seq>`, `event: <type>`, `data: <envelope>`, "
            "and `: heartbeat` comments. The schema is of each event (OpenAPI 3.1 reading), its `data` the "
            "envelope's JSON",
            "content": {"text/event-stream": {"schema": SSE_EVENT_SCHEMA}},
        },
        204: {"description": "The analysis has ended and nothing follows the given position"},
        400: {"model": ErrorResponse, "description": "Malformed `Last-Event-ID`"},
        429: described("The owner has its most open streams (`too_many_requests`); `Retry-After` says when"),
    },
)
async def stream_analysis_events(
    task: StreamTaskDep,
    analyses: AnalysesDep,
    backend: BackendDep,
    settings: SettingsDep,
    after: Annotated[int, Query(ge=0, le=MAX_SEQ, description="resume after this seq (Last-Event-ID wins)")] = 0,
    last_event_id: Annotated[
        str | None,
        Header(description="the last seq received", json_schema_extra={"pattern": r"^\s*([0-9]{1,15})?\s*$"}),
    ] = None,
) -> Response:
    cursor = _resume_position(last_event_id, after)
    if await analyses.ended_by(task.task_id, cursor, task):
        return Response(status_code=204)  # EventSource does not reconnect after a 204

    async def finished(position: int) -> bool:
        return await analyses.ended_by(task.task_id, position)

    stream = await backend.stream_cap(settings).open(task.owner)  # 429 beyond the owner's open streams
    body = leased(tail(backend.hub, task.task_id, cursor, settings, finished), stream)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    # The background close covers a response cancelled before its body began (the body's finally never ran).
    return EventStreamResponse(body, headers=headers, background=BackgroundTask(stream.close))
