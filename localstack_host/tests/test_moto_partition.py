"""moto's Query over one partition answers as over the whole table (moto only, in-process)."""

from __future__ import annotations

import inspect

import boto3
from moto import mock_aws
from moto.dynamodb.models.table import Table

from investmind_emulation.moto_fixes import partitioned

# moto's own query, whatever another test of this process (the embedded runtime's patches) put in its place.
MOTO_QUERY = inspect.unwrap(Table.query)


def _answers() -> list[dict]:
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    dynamodb.create_table(
        TableName="events", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "task", "KeyType": "HASH"}, {"AttributeName": "seq", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "task", "AttributeType": "S"},
                              {"AttributeName": "seq", "AttributeType": "N"}],
    )  # fmt: skip
    for task in ("t1", "t2"):
        for seq in (5, 1, 10, 2):
            dynamodb.put_item(TableName="events", Item={"task": {"S": task}, "seq": {"N": str(seq)},
                                                        "n": {"N": str(seq * 3)}})  # fmt: skip
    q = {"TableName": "events", "KeyConditionExpression": "task = :t AND seq > :after",
         "ExpressionAttributeValues": {":t": {"S": "t2"}, ":after": {"N": "1"}}, "ConsistentRead": True}  # fmt: skip
    queries = [
        q,
        {**q, "ScanIndexForward": False, "Limit": 2},
        {**q, "Limit": 1, "ExclusiveStartKey": {"task": {"S": "t2"}, "seq": {"N": "2"}}},
        {**q, "FilterExpression": "n > :n", "ExpressionAttributeValues": {**q["ExpressionAttributeValues"],
                                                                           ":n": {"N": "10"}}},
        {"TableName": "events", "KeyConditionExpression": "task = :t",
         "ExpressionAttributeValues": {":t": {"S": "t9"}}},
    ]  # fmt: skip
    answers = []
    for query in queries:
        answer = dynamodb.query(**query)
        answer.pop("ResponseMetadata")
        answers.append(answer)
    return answers


def test_a_partition_query_answers_as_moto_over_the_whole_table(monkeypatch):
    monkeypatch.setattr(Table, "query", MOTO_QUERY)
    with mock_aws():
        before = _answers()
    monkeypatch.setattr(Table, "query", partitioned(MOTO_QUERY))
    with mock_aws():
        after = _answers()
    assert after == before
    assert [item["seq"]["N"] for item in after[0]["Items"]] == ["2", "5", "10"]
