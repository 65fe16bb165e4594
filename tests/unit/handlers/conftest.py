"""Real-shaped Lambda events (small factories, not pasted literals) and a task to act on."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import pytest

from infra.lambdas import LambdaContext
from investmind.adapters.dynamodb import DynamoEventLog, DynamoTaskStore
from investmind.models import EventDraft, EventType, StartRequest, Task, utc_now_iso
from investmind.settings import get_settings

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:test-NormalQueue"


def sqs_event(*bodies: str, receive_count: int = 1) -> dict:
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "rh-" + uuid.uuid4().hex,
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": str(receive_count),
                    "SentTimestamp": "1764300000000",
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": "1764300000001",
                },
                "messageAttributes": {},
                "md5OfBody": "0" * 32,
                "eventSource": "aws:sqs",
                "eventSourceARN": QUEUE_ARN,
                "awsRegion": "us-east-1",
            }
            for body in bodies
        ]
    }


def stream_event(
    *images: dict, table_arn: str = "arn:aws:dynamodb:us-east-1:123456789012:table/test-EventsTable"
) -> dict:
    return {
        "Records": [
            {
                "eventID": uuid.uuid4().hex,
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": {
                    "Keys": {"task_id": image["task_id"], "seq": image["seq"]},
                    "NewImage": image,
                    "SequenceNumber": str(1000 + index),
                    "SizeBytes": 100,
                    "StreamViewType": "NEW_IMAGE",
                    "ApproximateCreationDateTime": 1764300000,
                },
                "eventSourceARN": f"{table_arn}/stream/2026-11-28T00:00:00.000",
            }
            for index, image in enumerate(images)
        ]
    }


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext("test-function", "arn:aws:lambda:us-east-1:123456789012:function:test-function", 512, 30)


@pytest.fixture
def stores(aws_tables) -> tuple[DynamoTaskStore, DynamoEventLog]:
    settings = get_settings()
    return DynamoTaskStore(settings.tasks_table, settings.events_table), DynamoEventLog(
        settings.events_table, settings.tasks_table
    )


@pytest.fixture
def queued_task(stores) -> Callable[..., StartRequest]:
    tasks, _ = stores

    def make(symbol: str = "600519.SH", as_of: str | None = "2021-02-10") -> StartRequest:
        start = StartRequest(task_id=uuid.uuid4().hex, owner="local", symbol=symbol, as_of=as_of)
        now = utc_now_iso()
        tasks.create(
            Task(
                task_id=start.task_id, owner="local", symbol=symbol, as_of=start.as_of, created_at=now, updated_at=now
            ),
            EventDraft(type=EventType.task_queued, data=json.loads(start.model_dump_json())),
        )
        return start

    return make
