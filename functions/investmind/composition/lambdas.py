"""Builds the AWS-backed objects the Lambda handlers pass into the domain (once per process)."""

from __future__ import annotations

from functools import lru_cache

from ..adapters import aws
from ..adapters.dynamodb import DynamoEventLog, DynamoTaskStore
from ..settings import Settings


@lru_cache(maxsize=8)
def _stores(tasks_table: str, events_table: str, ttl_days: int) -> tuple[DynamoTaskStore, DynamoEventLog]:
    client = aws.client("dynamodb")
    return (
        DynamoTaskStore(tasks_table, events_table, client=client, ttl_days=ttl_days),
        DynamoEventLog(events_table, tasks_table, client=client, ttl_days=ttl_days),
    )


def stores(settings: Settings) -> tuple[DynamoTaskStore, DynamoEventLog]:
    """The task store and event log named by ``settings``, shared by every invocation of this process."""
    if not settings.tasks_table or not settings.events_table:
        raise RuntimeError("INVESTMIND_TASKS_TABLE and INVESTMIND_EVENTS_TABLE must be set")
    return _stores(settings.tasks_table, settings.events_table, settings.task_ttl_days)
