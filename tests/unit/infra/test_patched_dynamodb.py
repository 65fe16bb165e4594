"""What the patches give moto's DynamoDB and the server: serialised, rolled back in place, metered, routed."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from infra.meter import meter


def _tables(ddb: Any) -> tuple[str, str]:
    """A head table (the log's counter) and an events table with a stream, fresh names each time."""
    suffix = uuid.uuid4().hex[:8]
    head, events = f"head-{suffix}", f"events-{suffix}"
    ddb.create_table(
        TableName=head,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "task", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "task", "KeyType": "HASH"}],
    )
    ddb.create_table(
        TableName=events,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "task", "AttributeType": "S"},
            {"AttributeName": "seq", "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": "task", "KeyType": "HASH"}, {"AttributeName": "seq", "KeyType": "RANGE"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    return head, events


def _append(ddb: Any, head: str, events: str, writer: int) -> int:
    """Append one event at the next seq: read the counter, then advance it and put the event in one
    transaction conditioned on the counter (a lost race cancels it; read again)."""
    while True:
        item = ddb.get_item(TableName=head, Key={"task": {"S": "t"}}, ConsistentRead=True).get("Item")
        current = int(item["n"]["N"]) if item else 0
        try:
            ddb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": events,
                            "Item": {"task": {"S": "t"}, "seq": {"N": str(current + 1)}, "writer": {"N": str(writer)}},
                            "ConditionExpression": "attribute_not_exists(seq)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": head,
                            "Key": {"task": {"S": "t"}},
                            "UpdateExpression": "SET n = :next",
                            "ConditionExpression": "attribute_not_exists(n) OR n = :current",
                            "ExpressionAttributeValues": {
                                ":next": {"N": str(current + 1)},
                                ":current": {"N": str(current)},
                            },
                        }
                    },
                ]
            )
            return current + 1
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise


def _stream_iterator(client: Any, events: str) -> tuple[Any, str]:
    streams = client("dynamodbstreams")
    arn = client("dynamodb").describe_table(TableName=events)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return streams, iterator["ShardIterator"]


def _stream_seqs(streams: Any, iterator: str) -> list[int]:
    records = streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
    return [int(r["dynamodb"]["NewImage"]["seq"]["N"]) for r in records if r["eventName"] == "INSERT"]


def test_concurrent_transactional_appends_stay_gap_free_and_the_stream_holds_each_once(client):
    # dynamodb_lock (moto's backend crashed and lost writes under concurrent transactions) and
    # transact_rollback (lost races cancel transactions: each must leave no trace, stream included).
    ddb = client("dynamodb")
    head, events = _tables(ddb)
    streams, iterator = _stream_iterator(client, events)  # opened before any cancellation
    writers = [
        threading.Thread(target=lambda w=w: [_append(client("dynamodb"), head, events, w) for _ in range(10)])
        for w in range(5)
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()

    items = ddb.query(
        TableName=events, KeyConditionExpression="task = :t", ExpressionAttributeValues={":t": {"S": "t"}}
    )["Items"]
    assert [int(i["seq"]["N"]) for i in items] == list(range(1, 51))
    assert _stream_seqs(streams, iterator) == list(range(1, 51))


def test_a_cancelled_transaction_changes_nothing_and_open_stream_iterators_keep_reading(client):
    ddb = client("dynamodb")
    head, events = _tables(ddb)
    assert _append(ddb, head, events, writer=0) == 1
    streams, iterator = _stream_iterator(client, events)

    with pytest.raises(ClientError, match="TransactionCanceledException"):
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": events, "Item": {"task": {"S": "t"}, "seq": {"N": "2"}}}},
                {
                    "Update": {
                        "TableName": head,
                        "Key": {"task": {"S": "t"}},
                        "UpdateExpression": "SET n = :n",
                        "ExpressionAttributeValues": {":n": {"N": "99"}},
                    }
                },
                {  # fails: seq 1 exists, so the Put and the Update before it must be undone
                    "ConditionCheck": {
                        "TableName": events,
                        "Key": {"task": {"S": "t"}, "seq": {"N": "1"}},
                        "ConditionExpression": "attribute_not_exists(seq)",
                    }
                },
            ]
        )
    assert "Item" not in ddb.get_item(TableName=events, Key={"task": {"S": "t"}, "seq": {"N": "2"}})
    assert ddb.get_item(TableName=head, Key={"task": {"S": "t"}})["Item"]["n"] == {"N": "1"}

    assert _append(ddb, head, events, writer=0) == 2
    # moto's own rollback swapped a copy of the table in, and this iterator then saw nothing more.
    assert _stream_seqs(streams, iterator) == [1, 2]


def test_requests_are_metered_per_service_and_action_while_recording(client):
    ddb = client("dynamodb")
    head, events = _tables(ddb)
    meter.start()
    try:
        ddb.get_item(TableName=head, Key={"task": {"S": "t"}})
        client("dynamodbstreams").list_streams(TableName=events)
        client("sqs").list_queues()
    finally:
        requests, _ = meter.stop()
    served = {(service, action) for service, action, *_ in requests}
    assert {("dynamodb", "GetItem"), ("dynamodbstreams", "ListStreams")} <= served
    assert any(service == "sqs" for service, *_ in served)
    ddb.list_tables()
    assert meter.stop()[0] == requests  # nothing is kept once recording stopped


def test_the_memoised_dispatch_still_routes_each_service_to_its_backend(client):
    queue = f"q-{uuid.uuid4().hex[:8]}"
    for _ in range(2):  # the second round is served from the cache
        ddb, sqs, sfn = client("dynamodb"), client("sqs"), client("stepfunctions")
        assert "TableNames" in ddb.list_tables()
        sqs.create_queue(QueueName=queue)
        assert any(url.endswith(queue) for url in sqs.list_queues()["QueueUrls"])
        assert "stateMachines" in sfn.list_state_machines()
