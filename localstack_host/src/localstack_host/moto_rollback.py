"""A cheap, in-place rollback for moto's ``TransactWriteItems`` inside LocalStack (moto only).

moto's ``DynamoDBBackend.transact_write_items`` (moto-ext 5.1.24 as LocalStack 4.14 pins it, and moto
5.2 alike) deep-copies every table a transaction touches before it runs, in case it is cancelled:
O(table) per event append. Sampled with py-spy during `make test-localstack`, that deep copy was 77% of
LocalStack's CPU, under the provider's one DynamoDB lock, so every other DynamoDB request queued behind
it and the functions ran past their timeouts as the events table grew. This takes a small rollback
point per table instead (its item map, pre-images of the items the transaction updates in place, its
stream's length), makes moto's own backup free by handing its ``copy`` an identity ``deepcopy`` for the
call, and on failure restores the table in place (no table is swapped, so stream iterators stay bound).
Safe only because every DynamoDB request runs under ``dynamodb.LOCK``. The embedded runtime patches its
own moto the same way (``infra/patches/transact_rollback.py``, in the project's environment).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any


class RollbackPoint:
    """What a transaction may change in one table: its item map (Puts and Deletes replace entries),
    pre-images of the items it updates (Updates mutate them in place), its stream's length."""

    def __init__(self, backend: Any, table: Any, update_keys: list[dict]) -> None:
        self.table = table
        self.items = copy.copy(table.items)
        if table.range_key_attr is not None:
            self.items.update({h: dict(bucket) for h, bucket in table.items.items()})
        self.pre_images = []
        for key in update_keys:
            item = backend.get_item(table.name, key)
            if item is not None:
                self.pre_images.append((backend.get_keys_value(table, key), copy.deepcopy(item)))
        self.stream_length = len(table.stream_shard.items) if table.stream_shard else None

    def restore(self) -> None:
        for (hash_key, range_key), item in self.pre_images:
            if range_key is None:
                self.items[hash_key] = item
            else:
                self.items[hash_key][range_key] = item
        self.table.items = self.items
        if self.stream_length is not None:
            del self.table.stream_shard.items[self.stream_length :]


class _NoDeepCopy:
    """Stands in for the ``copy`` module inside moto's transact_write_items: its own backup becomes free."""

    deepcopy = staticmethod(lambda value, memo=None: value)


def with_rollback_points(original: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps ``DynamoDBBackend.transact_write_items``."""
    import moto.dynamodb.models as models

    @functools.wraps(original)
    def transact(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        updates: dict[str, list[dict]] = {}
        for entry in transact_items:
            op_type, op = next(iter(entry.items()))
            if op.get("TableName") in self.tables:
                updates.setdefault(op["TableName"], [])
                if op_type == "Update":
                    updates[op["TableName"]].append(op["Key"])
        points = [RollbackPoint(self, self.tables[name], keys) for name, keys in updates.items()]
        models.copy = _NoDeepCopy  # safe: every DynamoDB request runs under dynamodb.LOCK
        try:
            return original(self, transact_items)
        except Exception:
            for point in points:
                point.restore()
            raise
        finally:
            models.copy = copy

    transact.rolls_back_in_place = True  # type: ignore[attr-defined]
    return transact


def patch() -> None:
    """Idempotent: moto's transactions roll back in place, once."""
    from moto.dynamodb.models import DynamoDBBackend

    if not getattr(DynamoDBBackend.transact_write_items, "rolls_back_in_place", False):
        DynamoDBBackend.transact_write_items = with_rollback_points(DynamoDBBackend.transact_write_items)
