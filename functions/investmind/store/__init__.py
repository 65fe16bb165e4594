"""Tasks and the event log: the ports (``base``) and their backends (DynamoDB sync and async, memory)."""

from .base import AsyncEventLog, AsyncTaskStore, EventLog, TaskStore
from .dynamodb import DynamoEventLog, DynamoTaskStore
from .dynamodb_async import AsyncDynamoEventLog, AsyncDynamoTaskStore
from .memory import AsyncMemoryEventLog, AsyncMemoryTaskStore, MemoryEventLog, MemoryTaskStore

__all__ = [
    "AsyncDynamoEventLog",
    "AsyncDynamoTaskStore",
    "AsyncEventLog",
    "AsyncMemoryEventLog",
    "AsyncMemoryTaskStore",
    "AsyncTaskStore",
    "DynamoEventLog",
    "DynamoTaskStore",
    "EventLog",
    "MemoryEventLog",
    "MemoryTaskStore",
    "TaskStore",
]
