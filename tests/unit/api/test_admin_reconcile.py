"""``POST /v1/admin/reconcile``: the reconciler by hand, for admins only (docs/security.md, docs/operations.md)."""

from __future__ import annotations

import datetime as dt
import uuid
from functools import partial

import httpx
import pytest

from investmind.adapters.memory import AsyncMemoryEventLog, AsyncMemoryTaskStore, MemoryEventLog, MemoryTaskStore
from investmind.api import create_app
from investmind.api.deps import get_identity
from investmind.auth import Caller
from investmind.models import EventDraft, EventType, Task
from investmind.services.reconcile import Deadlines, reconcile

from .conftest import FakeExecutions, FakeQueue, _expect_error

pytestmark = pytest.mark.anyio
QUEUED_AT = dt.datetime(2026, 4, 7, 8, 0, tzinfo=dt.UTC)


class NoExecutions:
    """No task here ever started (Step Functions as a fake: the reconciler's use case is what is under test)."""

    def status(self, task_id: str) -> str | None:
        return None

    def stop(self, task_id: str, cause: str, error: str = "Cancelled") -> bool:
        return False


def _app(*, admin: bool, with_reconciler: bool = True):
    tasks = MemoryTaskStore()
    log = MemoryEventLog(tasks)
    at = QUEUED_AT.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    task = Task(task_id=uuid.uuid4().hex, owner="ines", symbol="600036.SH", created_at=at, updated_at=at)
    tasks.create(task, EventDraft(type=EventType.task_queued, data={"symbol": task.symbol}))
    clock = lambda: QUEUED_AT + dt.timedelta(hours=1)  # noqa: E731 - past the start deadline
    reconciler = partial(reconcile, tasks, log, NoExecutions(), Deadlines(start_s=900), now=clock)
    app = create_app(
        tasks=AsyncMemoryTaskStore(tasks), events=AsyncMemoryEventLog(log), queue=FakeQueue(),
        executions=FakeExecutions(), reconciler=reconciler if with_reconciler else None,
    )  # fmt: skip
    app.dependency_overrides[get_identity] = lambda: Caller(owner="ops", admin=admin, via="api_key")
    return app, task.task_id, log


async def _post(app, params: dict | None = None) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        return await client.post("/v1/admin/reconcile", params=params)


async def test_an_admin_runs_one_pass_and_gets_its_report():
    app, task_id, log = _app(admin=True)

    response = await _post(app)

    assert response.status_code == 200, response.text
    report = response.json()
    # Its only event (task_queued) was folded in when it was created: nothing to rebuild.
    assert report["examined"] == 1 and report["rebuilt"] == [] and report["errors"] == {}
    assert [(s["task_id"], s["error_type"]) for s in report["settled"]] == [(task_id, "NeverStarted")]
    assert [e.type for e in log.read(task_id)] == [EventType.task_queued, EventType.task_failed]


async def test_a_caller_who_is_not_an_admin_is_forbidden_and_nothing_is_settled():
    app, task_id, log = _app(admin=False)

    _expect_error(await _post(app), 403, "forbidden")
    assert [e.type for e in log.read(task_id)] == [EventType.task_queued]


async def test_a_deployment_without_a_reconciler_answers_503():
    app, _, _ = _app(admin=True, with_reconciler=False)

    _expect_error(await _post(app), 503, "service_unavailable")


async def test_a_malformed_cursor_is_refused_and_nothing_is_settled():
    app, task_id, log = _app(admin=True)

    _expect_error(await _post(app, {"cursor": "not a cursor"}), 400, "invalid_request")
    assert [e.type for e in log.read(task_id)] == [EventType.task_queued]
