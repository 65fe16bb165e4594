"""The requests both DynamoDB backends share: each operation is a generator of :class:`Call` and :class:`Sleep` steps.

A generator receives each call's reply (or has the call's exception thrown into it). ``store.run`` executes the
steps with a boto3 client, ``store_async.arun`` with an aiobotocore one, so the two backends differ only in how
they wait. The log's steps are in ``log_steps``, the tasks' in ``task_steps``.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from . import codec

MAX_APPEND_ATTEMPTS = 20
MAX_CREATE_ATTEMPTS = 3
CANCELLED = "TransactionCanceledException"
RETRYABLE_REASONS = frozenset({"ConditionalCheckFailed", "TransactionConflict"})
OK_REASON = "None"

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Call:
    """One client call: ``client.<op>(**params)``."""

    op: str
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


Steps = Generator[Call | Sleep, Any, T]


@dataclass(frozen=True, slots=True)
class Tables:
    tasks: str
    events: str
    ttl_days: int = 30


def backoff(attempt: int) -> float:
    """Full jitter, capped low: a seq race is lost to a writer that has already finished."""
    return random.uniform(0, min(0.1, 0.002 * 2**attempt))


def key(task_id: str) -> dict[str, Any]:
    return {"task_id": {"S": task_id}}


def get_params(t: Tables, task_id: str) -> dict[str, Any]:
    return {"TableName": t.tasks, "Key": key(task_id), "ConsistentRead": True}


def reasons(exc: ClientError) -> list[str] | None:
    """The reason codes of a cancelled transaction, one per item; None for any other error."""
    if exc.response.get("Error", {}).get("Code") != CANCELLED:
        return None
    return [r.get("Code", OK_REASON) for r in exc.response.get("CancellationReasons", [])]


def put_new(table: str, item: codec.Item, key_attr: str) -> dict[str, Any]:
    return {"Put": {"TableName": table, "Item": item, "ConditionExpression": f"attribute_not_exists({key_attr})"}}
