"""moto's DynamoDB streams survive a cancelled transaction (moto only; no LocalStack import).

On a cancelled ``TransactWriteItems``, moto puts back deep copies of the tables it touched. Each copy
has its own stream shard, so every shard iterator handed out before (an event source mapping's, held
for the life of the mapping) still reads the old shard, which no write reaches again: the stream
looks empty from then on. After such a rollback, the iterators are moved onto the restored shard.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


def _rebind(backend: Any, replaced: dict[str, Any]) -> None:
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    shards = {id(old.stream_shard): backend.tables[name].stream_shard for name, old in replaced.items()}
    streams = dynamodbstreams_backends[backend.account_id][backend.region_name]
    for iterator in streams.shard_iterators.values():
        new_shard = shards.get(id(iterator.stream_shard))
        if new_shard is not None:
            iterator.stream_shard = new_shard


def rebinding_stream_iterators(transact_write_items: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps ``DynamoDBBackend.transact_write_items``: iterators follow any table it swapped."""

    @functools.wraps(transact_write_items)
    def transact(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        before = dict(self.tables)
        try:
            return transact_write_items(self, transact_items)
        finally:
            replaced = {
                name: table
                for name, table in before.items()
                if self.tables.get(name) is not table and table.stream_shard is not None
            }
            if replaced:
                _rebind(self, replaced)

    transact.rebinds_stream_iterators = True  # type: ignore[attr-defined]
    return transact


def patch() -> None:
    """Idempotent: applies the wrapper to moto's backend once."""
    from moto.dynamodb.models import DynamoDBBackend

    if not getattr(DynamoDBBackend.transact_write_items, "rebinds_stream_iterators", False):
        DynamoDBBackend.transact_write_items = rebinding_stream_iterators(DynamoDBBackend.transact_write_items)
