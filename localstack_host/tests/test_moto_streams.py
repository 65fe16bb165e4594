"""moto's stream iterators after a cancelled transaction, with and without the plugin's fix."""

from __future__ import annotations

import boto3
import pytest
from localstack_host.moto_streams import rebinding_stream_iterators
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend

# The backend method as moto ships it. The embedded runtime (infra/emulator.py) replaces it with an
# in-place rollback when it starts in this process; its own wrapper keeps the original.
MOTO_TRANSACT = getattr(DynamoDBBackend.transact_write_items, "__wrapped__", DynamoDBBackend.transact_write_items)


def _events_after_a_cancelled_transaction() -> list[str]:
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    streams = boto3.client("dynamodbstreams", region_name="us-east-1")
    table = dynamodb.create_table(
        TableName="log",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]
    shard = streams.describe_stream(StreamArn=table["LatestStreamArn"])["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=table["LatestStreamArn"], ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    dynamodb.put_item(TableName="log", Item={"k": {"S": "first"}})
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": "log",
                        "Item": {"k": {"S": "first"}},
                        "ConditionExpression": "attribute_not_exists(k)",
                    }
                }
            ]
        )
    dynamodb.put_item(TableName="log", Item={"k": {"S": "after"}})
    records = streams.get_records(ShardIterator=iterator)["Records"]
    return [r["dynamodb"]["Keys"]["k"]["S"] for r in records]


def test_without_the_fix_the_stream_loses_what_follows_a_cancelled_transaction(monkeypatch):
    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", MOTO_TRANSACT)
    with mock_aws():
        assert _events_after_a_cancelled_transaction() == ["first"]  # the bug the fix exists for


def test_with_the_fix_the_stream_still_delivers_what_follows_a_cancelled_transaction(monkeypatch):
    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", rebinding_stream_iterators(MOTO_TRANSACT))
    with mock_aws():
        assert _events_after_a_cancelled_transaction() == ["first", "after"]
