"""The ports the use cases take: tasks and the log (``store``), the start queue, executions, market data,
stream leases.

Adapters implement them (``investmind.adapters``; ``investmind.adapters.memory`` for tests); the
composition roots (``investmind.composition``) choose which.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol

from ..models import AgentResult, ResultRef, StartRequest
from ..store import AsyncEventLog, AsyncTaskStore, EventLog, LogHead, TaskQuery, TaskStore

__all__ = [
    "AsyncEventLog",
    "AsyncTaskStore",
    "EventLog",
    "ExecutionControl",
    "ExecutionStarter",
    "ExecutionStopper",
    "LogHead",
    "ResultStore",
    "SnapshotLoader",
    "StartQueue",
    "StreamLeases",
    "TaskQuery",
    "TaskStore",
]


class StartQueue(Protocol):
    """Where the API puts a task to be started (SQS, one queue per priority)."""

    async def send(self, start: StartRequest) -> Any: ...


class ExecutionStopper(Protocol):
    """Stops the execution of a task (the API's cancel)."""

    async def stop(self, task_id: str, cause: str) -> bool: ...


class ExecutionStarter(Protocol):
    """Starts the execution of a task, named after it (the starter), and stops one it started too late."""

    def start(self, start: StartRequest) -> bool: ...

    def stop(self, task_id: str, cause: str) -> bool: ...


class ExecutionControl(Protocol):
    """A task's execution as the reconciler sees it: its status (None: never started), and stopping it."""

    def status(self, task_id: str) -> str | None:
        """``RUNNING``, ``SUCCEEDED``, ``FAILED``, ``TIMED_OUT`` or ``ABORTED``; None when there is no execution."""
        ...

    def stop(self, task_id: str, cause: str, error: str = "Cancelled") -> bool: ...


class SnapshotLoader(Protocol):
    """The market data of one stock at one date (``market.Snapshot``)."""

    def __call__(self, symbol: str, as_of: dt.date | None) -> Any: ...


class ResultStore(Protocol):
    """The agents' whole results, by the references the state machine carries (``models.ResultRef``).

    The state holds references, not results, so it stays small whatever an LLM wrote (invariant 9);
    each result is in its agent's outcome event in the log, where this reads it.
    """

    def load(self, task_id: str, refs: Sequence[ResultRef]) -> dict[str, AgentResult]:
        """The results ``refs`` point at, by agent id (a ref without a seq, refused because the task had
        ended, has none); ``LookupError`` when the log lacks one it names."""
        ...


class StreamLeases(Protocol):
    """Leases on open streams, counted per owner across every API process (``services.streams``).

    A lease names one open stream and ends at an epoch second unless renewed; one whose holder died
    simply runs out, so a crashed process cannot keep an owner's slots.
    """

    async def acquire(self, owner: str, lease_id: str, limit: int, ttl_s: int) -> float | None:
        """Take a lease if the owner holds fewer than ``limit`` live ones: None when taken, else the
        seconds until the soonest live lease runs out."""
        ...

    async def renew(self, owner: str, lease_id: str, ttl_s: int) -> bool:
        """Extend a held lease by ``ttl_s`` from now; False if it is gone (expired and pruned)."""
        ...

    async def release(self, owner: str, lease_id: str) -> None:
        """End a lease (a no-op for an unknown one)."""
        ...
