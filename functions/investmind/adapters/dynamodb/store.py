"""Tasks and the event log on DynamoDB with boto3: the shared requests (`log_steps`, `task_steps`) run by `run`."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from ...models import AgentResult, Event, EventDraft, ResultRef, Task
from ...projection import results_of
from ...store import LogHead, TaskQuery, notify
from .. import aws
from .log_steps import append_steps, events_at_steps, head_steps, read_steps
from .steps import Sleep, Steps, T, Tables
from .task_steps import (
    create_steps,
    get_projection_steps,
    get_steps,
    list_open_steps,
    list_steps,
    save_projection_steps,
)


def run(client: Any, steps: Steps[T]) -> T:
    """Execute ``steps`` with a boto3 DynamoDB client and return the operation's result."""
    reply: Any = None
    error: Exception | None = None
    while True:
        try:
            step = steps.throw(error) if error is not None else steps.send(reply)
        except StopIteration as stop:
            return stop.value
        reply, error = None, None
        if isinstance(step, Sleep):
            time.sleep(step.seconds)
            continue
        try:
            reply = getattr(client, step.op)(**step.params)
        except Exception as exc:  # thrown into the steps, at their yield: they handle what they expect
            error = exc


# --- The boto3 backend ---------------------------------------------------------------------------------------


class DynamoEventLog:
    """:class:`~investmind.store.base.EventLog` on the Events table, with its bookkeeping on the Tasks table.

    ``client`` is a boto3 DynamoDB client (default: :func:`investmind.adapters.aws.client`); ``ttl_days`` sets the
    events' ``expires_at``.
    """

    def __init__(self, events_table: str, tasks_table: str, client: Any = None, ttl_days: int = 30) -> None:
        self._tables = Tables(tasks=tasks_table, events=events_table, ttl_days=ttl_days)
        self._client = client if client is not None else aws.client("dynamodb")

    def append(self, task_id: str, drafts: Sequence[EventDraft], once: str | None = None) -> list[Event]:
        events = run(self._client, append_steps(self._tables, task_id, drafts, once))
        if events:
            notify.appended(task_id)
        return events

    def read(self, task_id: str, after: int = 0, limit: int = 1000) -> list[Event]:
        return run(self._client, read_steps(self._tables, task_id, after, limit))

    def head(self, task_id: str) -> LogHead:
        return run(self._client, head_steps(self._tables, task_id))


class DynamoTaskStore:
    """:class:`~investmind.store.base.TaskStore` on the Tasks table.

    Parameters
    ----------
    table_name
        The Tasks table.
    client
        A boto3 DynamoDB client; default: :func:`investmind.adapters.aws.client`.
    ttl_days
        Lifetime of the task items (the ``expires_at`` TTL attribute).
    events_table
        The Events table, where ``create`` writes the first event.
    """

    def __init__(self, table_name: str, events_table: str, client: Any = None, ttl_days: int = 30) -> None:
        self._tables = Tables(tasks=table_name, events=events_table, ttl_days=ttl_days)
        self._client = client if client is not None else aws.client("dynamodb")

    def create(
        self, task: Task, first: EventDraft, idempotency_key: str | None = None, fingerprint: str | None = None
    ) -> tuple[Task, bool]:
        return run(self._client, create_steps(self._tables, task, first, idempotency_key, fingerprint))

    def get(self, task_id: str, owner: str | None = None, *, results: bool = True) -> Task:
        return run(self._client, get_steps(self._tables, task_id, owner, results))

    def get_projection(self, task_id: str) -> Task:
        return run(self._client, get_projection_steps(self._tables, task_id))

    def list(self, query: TaskQuery) -> tuple[list[Task], str | None]:
        return run(self._client, list_steps(self._tables, query))

    def save_projection(self, task: Task, expected_applied_seq: int, before: Task | None = None) -> bool:
        return run(self._client, save_projection_steps(self._tables, task, expected_applied_seq, before))

    def list_open(self, limit: int = 100, cursor: str | None = None) -> tuple[list[str], str | None]:
        return run(self._client, list_open_steps(self._tables, limit, cursor))


class DynamoResultStore:
    """:class:`~investmind.services.ports.ResultStore` on the Events table: each result is read from its outcome
    event (``agent_completed`` / ``agent_failed``) by key, one BatchGetItem for all of a stage's inputs."""

    def __init__(self, events_table: str, client: Any = None) -> None:
        self._tables = Tables(tasks="", events=events_table)
        self._client = client if client is not None else aws.client("dynamodb")

    def load(self, task_id: str, refs: Sequence[ResultRef]) -> dict[str, AgentResult]:
        seqs = [ref.seq for ref in refs if ref.seq is not None]
        events = run(self._client, events_at_steps(self._tables, task_id, seqs)) if seqs else {}
        return results_of(refs, events)
