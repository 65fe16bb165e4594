"""The stream poller applies the template's FilterCriteria as Lambda's event filtering does."""

from __future__ import annotations

import json
from types import SimpleNamespace

from infra.pollers import StreamPoller
from infra.template import Template


class RecordingLambdas:
    def __init__(self) -> None:
        self.events: list[dict] = []

    def invoke(self, function: str, event: dict):
        self.events.append(event)
        return SimpleNamespace(failed=False, payload={"batchItemFailures": []})


def _record(seq: int, event_type: str) -> dict:
    image = {"task_id": {"S": "t"}, "seq": {"N": str(seq)}, "type": {"S": event_type}}
    return {"eventID": str(seq), "eventName": "INSERT", "dynamodb": {"NewImage": image, "SequenceNumber": str(seq)}}


def _template_filters() -> list[dict]:
    stream = Template.load().resources["ProgressFunction"]["Properties"]["Events"]["EventsStream"]["Properties"]
    return [json.loads(f["Pattern"]) for f in stream["FilterCriteria"]["Filters"]]


def test_progress_records_are_dropped_before_progress_function_sees_them():
    lambdas = RecordingLambdas()
    poller = StreamPoller(lambdas, "ProgressFunction", "arn:stream", 100, 10, "us-east-1", _template_filters())

    assert poller._deliver([_record(1, "agent_started"), _record(2, "progress"), _record(3, "log")]) is None

    [event] = lambdas.events
    assert [r["dynamodb"]["NewImage"]["type"]["S"] for r in event["Records"]] == ["agent_started", "log"]


def test_a_batch_of_only_filtered_records_invokes_nothing():
    lambdas = RecordingLambdas()
    poller = StreamPoller(lambdas, "ProgressFunction", "arn:stream", 100, 10, "us-east-1", _template_filters())

    assert poller._deliver([_record(4, "progress")]) is None
    assert lambdas.events == []


def test_without_filters_every_record_is_delivered():
    lambdas = RecordingLambdas()
    poller = StreamPoller(lambdas, "ProgressFunction", "arn:stream", 100, 10, "us-east-1")

    poller._deliver([_record(1, "progress")])

    assert len(lambdas.events[0]["Records"]) == 1
