"""The ports the use cases take: tasks and the log (``store``), the start queue, executions, market data.

Adapters implement them (``investmind.adapters``; ``investmind.adapters.memory`` for tests); the
composition roots (``investmind.composition``) choose which.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from ..models import StartRequest
from ..store import AsyncEventLog, AsyncTaskStore, EventLog, LogHead, TaskStore

__all__ = [
    "AsyncEventLog",
    "AsyncTaskStore",
    "EventLog",
    "ExecutionControl",
    "ExecutionStarter",
    "ExecutionStopper",
    "LogHead",
    "SnapshotLoader",
    "StartQueue",
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
