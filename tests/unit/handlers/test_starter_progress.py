"""StarterFunction (SQS batch → executions) and ProgressFunction (stream → projection)."""

from __future__ import annotations

import json

import pytest

from investmind.adapters import aws
from investmind.adapters.dynamodb.codec import event_item
from investmind.handlers import progress, starter
from investmind.models import EventDraft, EventType

from .conftest import sqs_event, stream_event


@pytest.fixture
def state_machine(aws_tables, monkeypatch) -> str:
    arn = aws.client("stepfunctions").create_state_machine(
        name="test-analysis",
        roleArn="arn:aws:iam::123456789012:role/test",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
    )["stateMachineArn"]
    monkeypatch.setenv("INVESTMIND_STATE_MACHINE_ARN", arn)
    from investmind.settings import get_settings

    get_settings.cache_clear()
    return arn


def executions(arn: str) -> list[str]:
    return [e["name"] for e in aws.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"]]


def test_starter_duplicate_delivery_starts_one_execution(queued_task, state_machine, lambda_context):
    start = queued_task()
    body = start.model_dump_json()
    first = starter.lambda_handler(sqs_event(body), lambda_context)
    second = starter.lambda_handler(sqs_event(body, body), lambda_context)

    assert first == second == {"batchItemFailures": []}
    assert executions(state_machine) == [start.task_id]


def test_starter_bad_record_fails_alone_and_the_rest_start(queued_task, state_machine, lambda_context):
    start = queued_task()
    event = sqs_event("{not json", start.model_dump_json())
    response = starter.lambda_handler(event, lambda_context)

    assert response == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert executions(state_machine) == [start.task_id]


def test_starter_skips_a_task_cancelled_while_queued(queued_task, stores, state_machine, lambda_context):
    start = queued_task()
    tasks, log = stores
    cancelled = log.append(start.task_id, [EventDraft(type=EventType.task_cancelled, data={"reason": "test"})])
    progress.lambda_handler(stream_event(*(event_item(e, 0) for e in cancelled)), lambda_context)

    assert tasks.get(start.task_id).status == "CANCELLED"
    assert starter.lambda_handler(sqs_event(start.model_dump_json()), lambda_context) == {"batchItemFailures": []}
    assert executions(state_machine) == []


def test_progress_replayed_records_fold_once(queued_task, stores, lambda_context):
    start = queued_task()
    tasks, log = stores
    log.append(
        start.task_id,
        [
            EventDraft(type=EventType.task_started, data={"as_of": "2021-02-10"}),
            EventDraft(type=EventType.stage_started, stage=1, data={}),
            EventDraft(type=EventType.agent_started, stage=1, agent_id="macro"),
        ],
    )
    images = [event_item(e, 0) for e in log.read(start.task_id)]
    progress.lambda_handler(stream_event(*images), lambda_context)
    once = tasks.get(start.task_id)
    progress.lambda_handler(stream_event(*images), lambda_context)  # the stream delivers them again

    again = tasks.get(start.task_id)
    assert again == once
    assert once.status == "RUNNING" and once.agents["macro"].state == "running"
    assert tasks.get_projection(start.task_id).applied_seq == 4  # the fold stops before its own progress event
    progress_events = [e for e in log.read(start.task_id) if e.type == EventType.progress]
    assert len(progress_events) == 1 and progress_events[0].data["stage"] == 1
