"""The ports of tasks and the event log. Their backends are adapters: ``investmind.adapters.dynamodb``
(DynamoDB) and ``investmind.adapters.memory`` (in-process, for tests); importing this package loads no SDK."""

from .base import AsyncEventLog, AsyncTaskStore, EventLog, LogHead, TaskQuery, TaskStore

__all__ = ["AsyncEventLog", "AsyncTaskStore", "EventLog", "LogHead", "TaskQuery", "TaskStore"]
