"""A cheap, in-place rollback for moto's ``TransactWriteItems`` (the wrapper is
``investmind_emulation.moto_fixes.with_rollback_points``, which LocalStack's moto gets too; here, the
internals it relies on are checked first).

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

import types

from investmind_emulation.moto_fixes import with_rollback_points

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


def apply(set_attr: SetAttr = setattr) -> None:
    check(__name__, WRITTEN_AGAINST, RELIES_ON)
    from moto.dynamodb.models import DynamoDBBackend

    set_attr(DynamoDBBackend, "transact_write_items", with_rollback_points(DynamoDBBackend.transact_write_items))
