"""Two fixes to moto's DynamoDB that both emulations apply to the moto they run: the embedded runtime's
moto 5.2.5 (``infra/patches/dynamodb_partition.py``, ``transact_rollback.py``, which check the internals they
rely on) and LocalStack 4.14's moto-ext 5.1.24 (``localstack_host/dynamodb.py``). moto is imported only
inside the wrappers, from whichever environment applies them.

- :func:`partitioned` (``Table.query``): moto finds a base-table query's items by walking
  ``Table.all_items()``, which collects and sorts every item of the table, then keeps the queried hash key's:
  every Query on the events table cost time in proportion to every event of every task (21% of the embedded
  runtime's CPU under the 50 x 4 load run). The table keeps its items by hash key already
  (``Table.items[hash][range]``); the wrapper hands ``query`` that partition as its ``all_items`` for the one
  call, and the query filters, sorts, pages and projects as before. Index queries and scans are left alone.
- :func:`with_rollback_points` (``DynamoDBBackend.transact_write_items``): moto deep-copies every table a
  transaction touches before it runs (O(table) per event append; 77% of LocalStack's CPU during the suite)
  and, when the transaction is cancelled, swaps the copies in, which orphans every open stream iterator.
  The wrapper takes a small rollback point per table instead (its item map, pre-images of the items the
  transaction updates in place, its stream's length), makes moto's own backup free by handing its ``copy``
  an identity ``deepcopy`` for the call, and on failure restores the table in place.

Both are safe only because every DynamoDB request of the emulation runs under one lock (the embedded
runtime's ``infra/patches/dynamodb_lock.py``, LocalStack's ``localstack_host/dynamodb.py``): the instance
attribute and the module swap live for one call.
"""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import Callable
from typing import Any


def partitioned(query: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps ``Table.query``: a base-table query of a table with a range key walks its partition only."""
    signature = inspect.signature(query)

    @functools.wraps(query)
    def partition_query(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        hash_key, index_name = bound.arguments.get("hash_key"), bound.arguments.get("index_name")
        # Already handed its partition (a wrapper applied twice in one process, as tests do): as it is.
        if index_name or hash_key is None or not self.range_key_attr or "all_items" in vars(self):
            return query(self, *args, **kwargs)
        partition = list(self.items[hash_key].values()) if hash_key in self.items else []
        self.all_items = lambda: partition
        try:
            return query(self, *args, **kwargs)
        finally:
            del self.all_items

    partition_query.reads_partition = True  # type: ignore[attr-defined]
    return partition_query


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
    """Wraps ``DynamoDBBackend.transact_write_items``: rollback points instead of deep copies."""
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
        models.copy = _NoDeepCopy  # safe only under the emulation's one DynamoDB lock (see the module)
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
