"""moto's cancelled transactions rolled back in place, without a deep copy of the tables (moto only)."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from test_moto_streams import MOTO_TRANSACT, _events_after_a_cancelled_transaction

from investmind_emulation.moto_fixes import with_rollback_points


def test_a_cancelled_transaction_leaves_the_table_as_it_was_in_place(monkeypatch):
    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", with_rollback_points(MOTO_TRANSACT))
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(TableName="t", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")  # fmt: skip
        dynamodb.put_item(TableName="t", Item={"k": {"S": "a"}, "v": {"N": "1"}})
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables["t"]
        with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
            dynamodb.transact_write_items(TransactItems=[
                {"Update": {"TableName": "t", "Key": {"k": {"S": "a"}}, "UpdateExpression": "SET v = :v",
                            "ExpressionAttributeValues": {":v": {"N": "2"}}}},
                {"Put": {"TableName": "t", "Item": {"k": {"S": "b"}}, "ConditionExpression": "attribute_exists(k)"}},
            ])  # fmt: skip
        assert dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables["t"] is table  # no copy swapped in
        assert dynamodb.get_item(TableName="t", Key={"k": {"S": "a"}})["Item"]["v"] == {"N": "1"}
        assert "Item" not in dynamodb.get_item(TableName="t", Key={"k": {"S": "b"}})


def test_with_it_the_stream_still_delivers_what_follows_a_cancelled_transaction(monkeypatch):
    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", with_rollback_points(MOTO_TRANSACT))
    with mock_aws():
        assert _events_after_a_cancelled_transaction() == ["first", "after"]
