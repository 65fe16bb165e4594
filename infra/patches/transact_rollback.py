"""A cheap, in-place rollback for moto's ``TransactWriteItems``.

moto's ``DynamoDBBackend.transact_write_items`` deep-copies every table a transaction touches
before it runs (O(table) per event append: the events table grows with every analysis) and,
when the transaction is cancelled, swaps the copies in for the tables. The swap orphans every open
DynamoDB-stream shard iterator (they hold the old table's shard), so the stream poller sees an
empty stream forever after the first cancelled append.

This patch takes a small rollback point per table instead (its item map, pre-images of the items
the transaction updates in place, its stream's length), makes moto's own backup free by
handing its ``copy.deepcopy`` an identity for the call, and on failure restores the table in
place, truncating the stream records the cancelled writes appended. Swapping the module's ``copy``
is safe only because every DynamoDB request runs under :data:`infra.patches.dynamodb_lock.LOCK`.

Written against moto 5.2.5.
"""

from __future__ import annotations

import copy
import functools
import types
from collections.abc import Callable
from typing import Any

from .internals import Internal, SetAttr, check

WRITTEN_AGAINST = "moto 5.2.5"
RELIES_ON = (
    Internal(
        "moto.dynamodb.models",
        "DynamoDBBackend.transact_write_items",
        params=("self", "transact_items"),
        # Its backup is taken with the module's copy.deepcopy and restored by replacing the table.
        source=("copy.deepcopy(", "self.tables[table_name] = original_table_state[table_name]"),
    ),
    Internal("moto.dynamodb.models", "copy", kind=types.ModuleType),
    Internal(
        "moto.dynamodb.models",
        "DynamoDBBackend.get_item",
        params=("self", "table_name", "keys", "projection_expressions"),
    ),
    Internal("moto.dynamodb.models", "DynamoDBBackend.get_keys_value", params=("self", "table", "keys")),
    Internal(
        "moto.dynamodb.models.table",
        "Table.__init__",
        source=("self.items = defaultdict(dict)", "self.range_key_attr", "self.stream_shard"),
    ),
    Internal("moto.dynamodb.models.table", "StreamShard.__init__", source=("self.items: list[StreamRecord] = []",)),
)


class RollbackPoint:
    """What a transaction may change in one table: its item map (Puts and Deletes replace
    entries), pre-images of the items it updates (Updates mutate in place), its stream length."""

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
        models.copy = _NoDeepCopy  # safe: every DynamoDB request runs under dynamodb_lock.LOCK
        try:
            return original(self, transact_items)
        except Exception:
            for point in points:
                point.restore()
            raise
        finally:
            models.copy = copy

    return transact


def apply(set_attr: SetAttr = setattr) -> None:
    check(__name__, WRITTEN_AGAINST, RELIES_ON)
    from moto.dynamodb.models import DynamoDBBackend

    set_attr(DynamoDBBackend, "transact_write_items", with_rollback_points(DynamoDBBackend.transact_write_items))
