"""The ports of the task store and the event log; backends: DynamoDB (sync and async) and memory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..models import Event, EventDraft, Task, TaskStatus


@dataclass(frozen=True, slots=True)
class LogHead:
    """A task's log bookkeeping (the head item ``log#<task_id>``, docs/contracts.md)."""

    next_seq: int
    """The seq the next event gets."""
    ended: bool = False
    """True once the log holds its terminal event: every later append is refused."""
    markers: frozenset[str] = field(default_factory=frozenset)
    """The ``once`` markers of earlier appends (``stage:N``, ``agent:<id>:attempt:<n>``, ``agent:<id>:done``)."""


@dataclass(frozen=True, slots=True)
class TaskQuery:
    """Which of an owner's tasks a list page holds: newest first, ``status`` on the settled status, ``symbol``
    on the canonical symbol, ``limit`` at most, after ``cursor`` (a page's opaque continuation)."""

    owner: str
    status: TaskStatus | None = None
    limit: int = 20
    cursor: str | None = None
    symbol: str | None = None


class EventLog(Protocol):
    """A task's ordered event log (invariants 1 and 6 of docs/architecture.md §4)."""

    def append(self, task_id: str, drafts: Sequence[EventDraft], once: str | None = None) -> list[Event]:
        """Append ``drafts`` atomically with the next consecutive seqs and return them as stored.

        ``once`` names a marker: the append happens only if no earlier append carried the same
        marker for this task, else nothing is written and ``[]`` is returned (e.g. ``stage:2``, so
        that of the agents of stage 2 exactly one writes ``stage_started``).
        Raises ``TaskEnded`` when the log already holds a terminal event (the refusal is part of
        the same conditional write that allocates the seqs), and ``NotFound`` for an unknown task.
        """
        ...

    def read(self, task_id: str, after: int = 0, limit: int = 1000) -> list[Event]:
        """Events with seq > ``after``, in seq order, at most ``limit`` (strongly consistent)."""
        ...

    def head(self, task_id: str) -> LogHead:
        """The log's bookkeeping, strongly consistent; ``NotFound`` for an unknown task (no head)."""
        ...


class TaskStore(Protocol):
    """Tasks: created by the API, folded from the log by ProgressFunction."""

    def create(
        self, task: Task, first: EventDraft, idempotency_key: str | None = None, fingerprint: str | None = None
    ) -> tuple[Task, bool]:
        """Write the task and its first event (seq 1) in one transaction.

        With ``idempotency_key``, a second create by the same owner with the same key writes
        nothing and returns ``(existing task, False)``; otherwise ``(task, True)``. ``fingerprint``
        (the request's hash) is kept with the key: a second create whose fingerprint differs writes
        nothing and raises ``IdempotencyKeyReused``.
        """
        ...

    def get(self, task_id: str, owner: str | None = None, *, results: bool = True) -> Task:
        """The task as every reader sees it: its projection, settled by the log's terminal event, with every
        agent's whole result read back from its outcome event, and the events the projection has not folded
        yet folded in (so its progress is the log's). With ``results=False`` it is a check of the status alone
        (whether a stream has ended, a cancel): no results, no events, the projection settled by the head.

        Once the log holds a terminal event the task reads terminal (status, decision, ended_at, error)
        at once, even while the projection has not folded it yet (invariant 8): the log head keeps a
        copy of that event, written in the same transaction. ``NotFound`` if missing or (when ``owner``
        is given) owned by someone else.
        """
        ...

    def get_projection(self, task_id: str) -> Task:
        """The stored projection alone, as ProgressFunction folds it (never settled by the log head)."""
        ...

    def list(self, query: TaskQuery) -> tuple[list[Task], str | None]:
        """The query's page of tasks, each settled as ``get`` settles it, and an opaque cursor for the next
        page (or None)."""
        ...

    def save_projection(self, task: Task, expected_applied_seq: int, before: Task | None = None) -> bool:
        """Write the projection fields if the stored ``applied_seq`` still equals ``expected_applied_seq``.

        With ``before`` (the projection as read), only what changed since is written.

        Returns False when another writer moved it first (the caller re-reads and folds again).
        Never touches the log's own bookkeeping (``next_seq``, ended marker, markers). A terminal
        projection leaves the open-tasks index (``list_open``).
        """
        ...

    def list_open(self, limit: int = 100, cursor: str | None = None) -> tuple[list[str], str | None]:
        """Ids of tasks whose projection is open (QUEUED or RUNNING), oldest first, a page at a time, and the
        cursor of the next page (or None). A sparse index, not a scan: its size is the number of open tasks."""
        ...


class AsyncEventLog(Protocol):
    async def append(self, task_id: str, drafts: Sequence[EventDraft], once: str | None = None) -> list[Event]: ...

    async def read(self, task_id: str, after: int = 0, limit: int = 1000) -> list[Event]: ...

    async def head(self, task_id: str) -> LogHead: ...


class AsyncTaskStore(Protocol):
    async def create(
        self, task: Task, first: EventDraft, idempotency_key: str | None = None, fingerprint: str | None = None
    ) -> tuple[Task, bool]: ...

    async def get(self, task_id: str, owner: str | None = None, *, results: bool = True) -> Task: ...

    async def list(self, query: TaskQuery) -> tuple[list[Task], str | None]: ...
