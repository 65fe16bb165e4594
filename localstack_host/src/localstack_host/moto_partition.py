"""A Query on a table's own key reads its partition in moto, not the whole table sorted (moto only).

moto's ``Table.query`` (moto-ext 5.1.24 as LocalStack 4.14 pins it, and moto 5.2 alike) finds a
base-table query's items by walking ``Table.all_items()``, which collects and sorts every item of the
table, then keeps the queried hash key's: every Query on the events table cost time in proportion
to every event of every task, so the suite slowed as its tables grew. The table already keeps its
items by hash key (``Table.items[hash][range]``); this hands ``query`` that partition as its
``all_items`` for the one call, and the query filters, sorts, pages and projects as before. Safe
under the provider's one lock (``dynamodb.LOCK``). The embedded runtime patches its own moto the
same way (``infra/patches/dynamodb_partition.py``, in the project's environment, not this one's).
"""

from __future__ import annotations

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


def patch() -> None:
    """Idempotent: applies the wrapper to moto's ``Table.query`` once."""
    from moto.dynamodb.models.table import Table

    if not getattr(Table.query, "reads_partition", False):
        Table.query = partitioned(Table.query)
