"""The fixes to moto's DynamoDB LocalStack's moto-ext 5.1.24 gets, from ``investmind_emulation.moto_fixes``
(which the embedded runtime applies to its moto too): a Query reads its partition, a transaction rolls back in
place. Idempotent, so that LocalStack building its provider again applies each once."""

from __future__ import annotations

from investmind_emulation.moto_fixes import partitioned, with_rollback_points


def patch() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    if not getattr(DynamoDBBackend.transact_write_items, "rolls_back_in_place", False):
        DynamoDBBackend.transact_write_items = with_rollback_points(DynamoDBBackend.transact_write_items)
    if not getattr(Table.query, "reads_partition", False):
        Table.query = partitioned(Table.query)
