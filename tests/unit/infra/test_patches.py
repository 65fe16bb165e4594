"""Each emulator patch still fits the installed moto/werkzeug, and the behaviour it patches in holds."""

from __future__ import annotations

import pkgutil

import pytest

from infra import patches
from infra.patches import (
    PATCHES,
    PatchOutdated,
    dynamodb_json,
    dynamodb_lock,
    dynamodb_partition,
    internals,
    transact_rollback,
)
from infra.patches.internals import Internal


@pytest.mark.parametrize("patch", PATCHES, ids=lambda patch: patch.__name__.rsplit(".", 1)[-1])
def test_the_internals_each_patch_relies_on_are_unchanged(patch):
    # Raises PatchOutdated naming the patch, the internal and the installed versions after an upgrade
    # that renamed, re-signed or rewrote what the patch wraps: re-check the patch against the new code.
    internals.check(patch.__name__, patch.WRITTEN_AGAINST, patch.RELIES_ON)
    assert patch.RELIES_ON, f"{patch.__name__} declares no internals"


@pytest.mark.parametrize("patch", PATCHES, ids=lambda patch: patch.__name__.rsplit(".", 1)[-1])
def test_each_patch_says_what_it_fixes_and_the_version_it_was_written_against(patch):
    assert patch.WRITTEN_AGAINST in (patch.__doc__ or ""), patch.__name__


def test_every_patch_module_is_applied():
    modules = {
        f"infra.patches.{info.name}" for info in pkgutil.iter_modules(patches.__path__) if info.name != "internals"
    }
    assert modules == {patch.__name__ for patch in PATCHES}


def test_a_changed_signature_stops_the_patch_naming_it(monkeypatch):
    from moto.dynamodb.responses import DynamoHandler

    monkeypatch.setattr(DynamoHandler, "call_action", lambda self, strict: None)
    with pytest.raises(PatchOutdated, match=r"infra\.patches\.dynamodb_lock.*DynamoHandler\.call_action takes"):
        dynamodb_lock.apply(monkeypatch.setattr)


def test_rewritten_source_stops_the_patch_naming_it(monkeypatch):
    from moto.dynamodb.models import DynamoDBBackend

    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", lambda self, transact_items: None)
    with pytest.raises(
        PatchOutdated, match=r"infra\.patches\.transact_rollback.*no longer contains 'copy\.deepcopy\('"
    ):
        transact_rollback.apply(monkeypatch.setattr)


def test_a_vanished_internal_is_reported_gone():
    gone = Internal("moto.dynamodb.models", "DynamoDBBackend.no_such_method")
    assert gone.problems() == [
        "moto.dynamodb.models.DynamoDBBackend.no_such_method is gone "
        "(type object 'DynamoDBBackend' has no attribute 'no_such_method')"
    ]
    missing_module = Internal("moto.no_such_service", "Backend")
    assert "is gone" in missing_module.problems()[0]


@pytest.fixture
def dynamodb():
    """A DynamoDB client of a moto server of its own (the patches under test act on the server's moto)."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield boto3.client("dynamodb", endpoint_url=f"http://{host}:{port}", region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    server.stop()


def test_dynamodb_answers_written_directly_parse_as_the_serializers_do(dynamodb, monkeypatch):
    dynamodb.create_table(
        TableName="t", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "n", "AttributeType": "N"}],
    )  # fmt: skip
    nested = {"L": [{"N": "1.5"}, {"NULL": True}, {"BOOL": False}, {"SS": ["a", "b"]}]}
    item = {"pk": {"S": "任务"}, "n": {"N": "1"}, "blob": {"B": b"\x00\xff zip"}, "set": {"BS": [b"a", b"\x01"]},
            "doc": {"M": {"xs": nested}}}  # fmt: skip
    key = {"pk": item["pk"], "n": item["n"]}
    calls = [
        ("put_item", {"TableName": "t", "Item": item, "ReturnValues": "ALL_OLD"}),
        ("put_item", {"TableName": "t", "Item": {**item, "n": {"N": "2"}}, "ReturnConsumedCapacity": "TOTAL"}),
        ("get_item", {"TableName": "t", "Key": key, "ConsistentRead": True}),
        ("get_item", {"TableName": "t", "Key": {"pk": {"S": "none"}, "n": {"N": "0"}}}),
        ("query", {"TableName": "t", "KeyConditionExpression": "pk = :p", "Limit": 1,
                   "ExpressionAttributeValues": {":p": item["pk"]}}),
        ("scan", {"TableName": "t", "ProjectionExpression": "pk, #b", "ExpressionAttributeNames": {"#b": "blob"}}),
        ("batch_get_item", {"RequestItems": {"t": {"Keys": [key, {**key, "n": {"N": "2"}}]}}}),
        ("transact_get_items", {"TransactItems": [{"Get": {"TableName": "t", "Key": key}}]}),
        ("update_item", {"TableName": "t", "Key": key, "UpdateExpression": "SET c = :c",
                         "ExpressionAttributeValues": {":c": {"N": "3"}}, "ReturnValues": "ALL_NEW"}),
        ("delete_item", {"TableName": "t", "Key": {**key, "n": {"N": "2"}}, "ReturnValues": "ALL_OLD"}),
    ]  # fmt: skip
    from moto.dynamodb.responses import DynamoHandler

    # moto's own path first, even where another test of this process has the patches applied
    if "serialized" in vars(DynamoHandler):
        monkeypatch.delattr(DynamoHandler, "serialized")
    answers = {}
    for patched in (False, True):
        if patched:
            dynamodb_json.apply(monkeypatch.setattr)
        for n in ("1", "2"):  # both rounds start from an empty table
            dynamodb.delete_item(TableName="t", Key={**key, "n": {"N": n}})
        answers[patched] = []
        for name, params in calls:
            answer = getattr(dynamodb, name)(**params)
            answer.pop("ResponseMetadata")
            answers[patched].append((name, answer))
    assert answers[True] == answers[False]
    assert answers[True][2][1]["Item"]["blob"] == {"B": b"\x00\xff zip"}  # binary survives the direct path


def test_queries_on_a_partition_answer_as_over_the_whole_table(dynamodb, monkeypatch):
    dynamodb.create_table(
        TableName="events", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "task", "KeyType": "HASH"}, {"AttributeName": "seq", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "task", "AttributeType": "S"},
                              {"AttributeName": "seq", "AttributeType": "N"},
                              {"AttributeName": "kind", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "by_kind", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"},
                                               {"AttributeName": "seq", "KeyType": "RANGE"}]}],
    )  # fmt: skip
    for task in ("a", "b", "c"):
        for seq in (3, 1, 12, 2, 7):  # out of order, and 12 after 2 as text
            kind = "log" if seq % 2 else "agent"
            dynamodb.put_item(TableName="events", Item={"task": {"S": task}, "seq": {"N": str(seq)},
                                                      "kind": {"S": kind}, "n": {"N": str(seq * 10)}})  # fmt: skip
    q = {"TableName": "events", "KeyConditionExpression": "task = :t AND seq > :after",
         "ExpressionAttributeValues": {":t": {"S": "b"}, ":after": {"N": "1"}}}  # fmt: skip
    queries = [
        q,
        {**q, "ScanIndexForward": False, "Limit": 2},
        {**q, "Limit": 2, "ExclusiveStartKey": {"task": {"S": "b"}, "seq": {"N": "3"}}},
        {**q, "FilterExpression": "n > :n", "ExpressionAttributeValues": {**q["ExpressionAttributeValues"],
                                                                           ":n": {"N": "25"}}},
        {**q, "ProjectionExpression": "seq, kind", "ConsistentRead": True},
        {"TableName": "events", "KeyConditionExpression": "task = :t",
         "ExpressionAttributeValues": {":t": {"S": "z"}}},
        {"TableName": "events", "IndexName": "by_kind", "KeyConditionExpression": "kind = :k",
         "ExpressionAttributeValues": {":k": {"S": "log"}}},
    ]  # fmt: skip
    import inspect

    from moto.dynamodb.models.table import Table

    # moto's own query first, even where another test of this process has the patches applied
    monkeypatch.setattr(Table, "query", inspect.unwrap(Table.query))
    answers = {}
    for patched in (False, True):
        if patched:
            dynamodb_partition.apply(monkeypatch.setattr)
        answers[patched] = []
        for query in queries:
            answer = dynamodb.query(**query)
            answer.pop("ResponseMetadata")
            answers[patched].append(answer)
    assert answers[True] == answers[False]
    assert [i["seq"]["N"] for i in answers[True][0]["Items"]] == ["2", "3", "7", "12"]
