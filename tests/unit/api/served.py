"""The API as a client meets it, in process: the real app, real authentication (an API key in the memory key
store, stream tokens signed by the app) and the memory backend; only SQS and Step Functions are fakes
(they cannot run here in process: tests/integration has them on moto). Bounded SSE with short waits,
so a stream request returns at once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from investmind.adapters.memory import AsyncMemoryEventLog, AsyncMemoryTaskStore, MemoryEventLog, MemoryTaskStore
from investmind.adapters.memory_keys import AsyncMemoryKeyStore
from investmind.api import create_app
from investmind.auth import ApiKeys, Caller
from investmind.models import EventDraft, EventType, Task, utc_now_iso
from investmind.settings import Settings, get_settings
from investmind.store import TaskQuery

from .conftest import FakeExecutions, FakeQueue

SERVED_SETTINGS = {
    "sse_mode": "bounded", "sse_bounded_wait_s": 0.01, "sse_linger_s": 0.0, "sse_poll_ms": 10,
    "max_active_per_owner": 10_000, "max_daily_per_owner": 10_000,
    # The bundled data's first load takes ~20 s on a busy machine, past the 8 s a provider gets by default.
    "data_timeout_s": 120.0,
}  # fmt: skip


@dataclass
class Served:
    app: FastAPI
    key: str
    owner: str
    tasks: MemoryTaskStore
    log: MemoryEventLog
    queue: FakeQueue
    task_id: str
    """A task of ``owner`` with a few events (started, a log line), still running."""
    ended_id: str
    """A task of ``owner`` that has completed."""

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def task_count(self) -> int:
        return len(self.tasks.list(TaskQuery(self.owner, limit=100))[0])


def served(owner: str = "served-owner", **settings: Any) -> Served:
    tasks = MemoryTaskStore()
    log = MemoryEventLog(tasks)
    queue, keys = FakeQueue(), AsyncMemoryKeyStore()
    admin = Caller(owner="root", admin=True, via="api_key")
    key = asyncio.run(ApiKeys(keys).create(admin, owner, "served")).key
    app = create_app(
        tasks=AsyncMemoryTaskStore(tasks), events=AsyncMemoryEventLog(log), queue=queue, executions=FakeExecutions(),
        keys=keys,
    )  # fmt: skip
    app.dependency_overrides[get_settings] = lambda: Settings(**{**SERVED_SETTINGS, **settings})
    ids = []
    for kinds in (("task_started", "log"), ("task_started", "task_completed")):
        now = utc_now_iso()
        task = Task(task_id=f"{len(ids) + 1:032x}", owner=owner, symbol="600519.SH", created_at=now, updated_at=now)
        tasks.create(task, EventDraft(type=EventType.task_queued, data={"symbol": task.symbol}))
        for kind in kinds:
            data = {"level": "info", "message": "working"} if kind == "log" else {}
            if kind == "task_started":  # as PrepareData writes it: the date it resolved (the bars route reads it)
                data = {"symbol": task.symbol, "as_of": "2024-06-28"}
            log.append(task.task_id, [EventDraft(type=EventType(kind), data=data)])
        ids.append(task.task_id)
    return Served(app, key, owner, tasks, log, queue, ids[0], ids[1])
