"""The ports of tasks and the event log. Backends live in ``investmind.adapters`` (DynamoDB) and
``investmind.store.memory`` (in-process, for tests); importing this package loads no SDK."""

from .base import AsyncEventLog, AsyncTaskStore, EventLog, TaskStore

__all__ = ["AsyncEventLog", "AsyncTaskStore", "EventLog", "TaskStore"]
