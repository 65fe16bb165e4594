"""Fixtures of the API tests: the app on memory stores, fakes for the queue and Step Functions, a fresh caller."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from investmind.adapters.memory import AsyncMemoryEventLog, AsyncMemoryTaskStore, MemoryEventLog, MemoryTaskStore
from investmind.api import create_app
from investmind.api.deps import get_caller, get_catalog, get_stream_owner
from investmind.models import EventDraft, EventType, StartRequest, Task, TaskStatus, utc_now_iso
from investmind.settings import Settings, get_settings
from investmind.store import TaskQuery

CATALOG = {"600519.SH": object(), "000001.SZ": object()}
"""Symbols the tests may submit (the real catalog is checked in test_analyses.py)."""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeQueue:
    """Records what the API enqueues; set ``error`` to make ``send`` fail as SQS would."""

    def __init__(self) -> None:
        self.sent: list[StartRequest] = []
        self.error: Exception | None = None

    async def send(self, start: StartRequest) -> str:
        if self.error is not None:
            raise self.error
        self.sent.append(start)
        return f"msg-{len(self.sent)}"


class FakeExecutions:
    """Records the executions the API stops; set ``error`` to make ``stop`` fail."""

    def __init__(self) -> None:
        self.stopped: list[tuple[str, str]] = []
        self.error: Exception | None = None

    async def stop(self, task_id: str, cause: str) -> bool:
        if self.error is not None:
            raise self.error
        self.stopped.append((task_id, cause))
        return True


@dataclass
class World:
    """One app with everything it talks to, and helpers to set up tasks behind the API's back."""

    tasks: MemoryTaskStore
    log: MemoryEventLog
    queue: FakeQueue
    executions: FakeExecutions
    app: Any
    caller: str
    settings: dict[str, Any] = field(default_factory=dict)

    def as_caller(self, caller: str) -> None:
        self.caller = caller

    def configure(self, **values: Any) -> None:
        """Settings for the next requests (e.g. ``sse_mode="bounded"``), over fast test defaults."""
        self.settings.update(values)

    def new_task(self, owner: str | None = None, symbol: str = "600519.SH", created_at: str | None = None) -> Task:
        now = created_at or utc_now_iso()
        task = Task(task_id=uuid.uuid4().hex, owner=owner or self.caller, symbol=symbol, created_at=now, updated_at=now)
        first = EventDraft(type=EventType.task_queued, data={"symbol": symbol})
        return self.tasks.create(task, first)[0]

    def append(self, task_id: str, *kinds: str, agent_id: str | None = None, stage: int | None = None) -> None:
        """Append events of these types (``log`` ones at level ``info``), one append each."""
        for kind in kinds:
            self.log.append(task_id, [_draft(kind, agent_id, stage)])

    def seqs(self, task_id: str) -> list[int]:
        return [e.seq for e in self.log.read(task_id, 0, 10_000)]

    def mark(self, task_id: str, status: TaskStatus) -> None:
        """Fold the projection by hand (ProgressFunction's job): status and applied_seq up to the log's end."""
        task = self.tasks.get(task_id)
        last = self.log.read(task_id, 0, 10_000)[-1].seq
        self.tasks.save_projection(task.model_copy(update={"status": status, "applied_seq": last}), task.applied_seq)

    def task_count(self, owner: str | None = None) -> int:
        return len(self.tasks.list(TaskQuery(owner or self.caller, limit=100))[0])


FAST_SSE = {"sse_poll_ms": 10, "sse_heartbeat_s": 5.0, "sse_bounded_wait_s": 2.0, "sse_linger_s": 0.05}


@pytest.fixture
def world() -> World:
    tasks = MemoryTaskStore()
    log = MemoryEventLog(tasks)
    queue, executions = FakeQueue(), FakeExecutions()
    app = create_app(
        tasks=AsyncMemoryTaskStore(tasks), events=AsyncMemoryEventLog(log), queue=queue, executions=executions
    )
    w = World(tasks, log, queue, executions, app, caller=f"caller-{uuid.uuid4().hex[:8]}", settings=dict(FAST_SSE))
    # Authentication has its own tests (test_auth.py); here every request is ``w.caller``'s.
    app.dependency_overrides[get_caller] = lambda: w.caller
    app.dependency_overrides[get_stream_owner] = lambda: w.caller
    app.dependency_overrides[get_catalog] = lambda: CATALOG
    app.dependency_overrides[get_settings] = lambda: Settings(**w.settings)
    return w


@pytest.fixture
async def client(world: World) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=world.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def _draft(kind: str, agent_id: str | None, stage: int | None) -> EventDraft:
    data = {"level": "info", "message": f"{kind} message"} if kind == "log" else {}
    return EventDraft(type=EventType(kind), agent_id=agent_id, stage=stage, data=data)


def _expect_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


@pytest.fixture
def expect_error() -> Callable[[httpx.Response, int, str], dict[str, Any]]:
    """Asserts docs/architecture.md §3's error shape with a status and code; returns the ``error`` object."""
    return _expect_error
