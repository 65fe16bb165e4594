"""A Query on a table's own key reads its partition, not the whole table sorted (the wrapper is
``investmind_emulation.moto_fixes.partitioned``, which LocalStack's moto gets too; here, the internals it
relies on are checked first).

moto's ``Table.query`` finds a base-table query's items by walking ``Table.all_items()``, which
collects and sorts every item of the table, and then keeping those of the queried hash key: each
poll of an SSE reader (a Query on one task's events) cost time in proportion to every event of
every task (21% of the embedded runtime's GIL samples under the 50 x 4 load run, docs/performance.md).
The table keeps its items by hash key already (``Table.items[hash][range]``), so for a base-table
query on a table with a range key this hands ``query`` that partition alone as ``all_items``; the
query then filters, sorts by range key, pages and projects exactly as before. Index queries and
scans are left as they are. Safe because every DynamoDB request runs under one lock
(:mod:`.dynamodb_lock`), so the instance attribute lives for one query only.

Written against moto 5.2.5.
"""

from __future__ import annotations

from investmind_emulation.moto_fixes import partitioned

from .internals import Internal, SetAttr, check

WRITTEN_AGAINST = "moto 5.2.5"
RELIES_ON = (
    Internal(
        "moto.dynamodb.models.table",
        "Table.query",
        params=(
            "self",
            "hash_key",
            "range_comparison",
            "range_objs",
            "limit",
            "exclusive_start_key",
            "scan_index_forward",
            "projection_expressions",
            "index_name",
            "consistent_read",
            "filter_expression",
            "hash_key_conditions",
            "range_key_conditions",
            "filter_kwargs",
        ),
        source=("for item in self.all_items()", "item.hash_key == hash_key"),
    ),  # fmt: skip
    Internal("moto.dynamodb.models.table", "Table.__init__", source=("self.items = defaultdict(dict)",)),
    Internal("moto.dynamodb.models.table", "Table.all_items", params=("self",)),
)


def apply(set_attr: SetAttr = setattr) -> None:
    check(__name__, WRITTEN_AGAINST, RELIES_ON)
    from moto.dynamodb.models.table import Table

    set_attr(Table, "query", partitioned(Table.query))
