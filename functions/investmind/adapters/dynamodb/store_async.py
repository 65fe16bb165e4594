"""Tasks and the event log on DynamoDB for the API's event loop: the requests of ``dynamodb``, run by aiobotocore."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, TypeVar

from ...models import Event, EventDraft, Task
from ...store import LogHead, TaskQuery, notify
from .log_steps import append_steps, head_steps, read_steps
from .steps import Sleep, Steps, Tables
from .task_steps import create_steps, get_projection_steps, get_steps, list_steps, save_projection_steps

T = TypeVar("T")


async def arun(client: Any, steps: Steps[T]) -> T:
    """Execute ``steps`` with an aiobotocore DynamoDB client (the async twin of ``store.run``)."""
    reply: Any = None
    error: Exception | None = None
    while True:
        try:
            step = steps.throw(error) if error is not None else steps.send(reply)
        except StopIteration as stop:
            return stop.value
        reply, error = None, None
        if isinstance(step, Sleep):
            await asyncio.sleep(step.seconds)
            continue
        try:
            reply = await getattr(client, step.op)(**step.params)
        except Exception as exc:  # thrown into the steps, at their yield: they handle what they expect
            error = exc


class AsyncDynamoEventLog:
    """:class:`~investmind.store.base.AsyncEventLog` on DynamoDB; ``client`` is an entered aiobotocore client."""

    def __init__(self, events_table: str, tasks_table: str, client: Any, ttl_days: int = 30) -> None:
        self._tables = Tables(tasks=tasks_table, events=events_table, ttl_days=ttl_days)
        self._client = client

    async def append(self, task_id: str, drafts: Sequence[EventDraft], once: str | None = None) -> list[Event]:
        events = await arun(self._client, append_steps(self._tables, task_id, drafts, once))
        if events:
            notify.appended(task_id)
        return events

    async def read(self, task_id: str, after: int = 0, limit: int = 1000) -> list[Event]:
        return await arun(self._client, read_steps(self._tables, task_id, after, limit))

    async def head(self, task_id: str) -> LogHead:
        return await arun(self._client, head_steps(self._tables, task_id))


class AsyncDynamoTaskStore:
    """:class:`~investmind.store.base.AsyncTaskStore` on DynamoDB (arguments as ``DynamoTaskStore``)."""

    def __init__(self, table_name: str, events_table: str, client: Any, ttl_days: int = 30) -> None:
        self._tables = Tables(tasks=table_name, events=events_table, ttl_days=ttl_days)
        self._client = client

    async def create(
        self, task: Task, first: EventDraft, idempotency_key: str | None = None, fingerprint: str | None = None
    ) -> tuple[Task, bool]:
        return await arun(self._client, create_steps(self._tables, task, first, idempotency_key, fingerprint))

    async def get(self, task_id: str, owner: str | None = None, *, results: bool = True) -> Task:
        return await arun(self._client, get_steps(self._tables, task_id, owner, results))

    async def get_projection(self, task_id: str) -> Task:
        return await arun(self._client, get_projection_steps(self._tables, task_id))

    async def list(self, query: TaskQuery) -> tuple[list[Task], str | None]:
        return await arun(self._client, list_steps(self._tables, query))

    async def save_projection(self, task: Task, expected_applied_seq: int, before: Task | None = None) -> bool:
        return await arun(self._client, save_projection_steps(self._tables, task, expected_applied_seq, before))
