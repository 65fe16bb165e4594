"""Every queue message drains (docs/architecture.md §4, invariant 4): the starter reads the log, not the projection,
and a dead letter ends its task FAILED or is a logged discard — never a batch that fails forever."""

from __future__ import annotations

import json
import logging
import uuid

from investmind.adapters import aws
from investmind.adapters.stepfunctions import ExecutionStarter
from investmind.handlers import dead_letter, starter
from investmind.models import EventDraft, EventType, StartRequest
from investmind.services.starter import start_queued

from .conftest import sqs_event
from .test_starter_progress import executions, state_machine  # noqa: F401 - the fixture

CANCEL = EventDraft(type=EventType.task_cancelled, data={"reason": "cancelled while queued"})


def unknown_start() -> StartRequest:
    return StartRequest(task_id=uuid.uuid4().hex, owner="local", symbol="000001.SZ")


def test_starter_reads_the_log_not_the_projection(queued_task, stores, state_machine, lambda_context):  # noqa: F811
    start = queued_task()
    tasks, log = stores
    log.append(start.task_id, [CANCEL])  # no fold: the projection still says QUEUED
    assert tasks.get_projection(start.task_id).status == "QUEUED"

    assert starter.lambda_handler(sqs_event(start.model_dump_json()), lambda_context) == {"batchItemFailures": []}
    assert executions(state_machine) == []


def test_starter_discards_a_message_for_an_unknown_task(state_machine, lambda_context, caplog):  # noqa: F811
    start = unknown_start()
    with caplog.at_level(logging.WARNING):
        response = starter.lambda_handler(sqs_event(start.model_dump_json()), lambda_context)

    assert response == {"batchItemFailures": []}
    assert executions(state_machine) == []
    assert any("unknown task" in r.getMessage() for r in caplog.records)


class CancelledAtStart(ExecutionStarter):
    """The real starter, with a cancel landing in the log the moment the execution is started."""

    def __init__(self, log, arn: str) -> None:
        super().__init__(aws.client("stepfunctions"), arn)
        self.log = log

    def start(self, start: StartRequest) -> bool:
        self.log.append(start.task_id, [CANCEL])  # the API's cancel: its stop finds no execution yet
        return super().start(start)


def test_starter_stops_an_execution_whose_task_was_cancelled_while_it_started(queued_task, stores, state_machine):  # noqa: F811
    start = queued_task()
    _, log = stores
    sfn = aws.client("stepfunctions")

    assert start_queued(start, log, CancelledAtStart(log, state_machine)) is False

    [execution] = sfn.list_executions(stateMachineArn=state_machine)["executions"]
    assert execution["name"] == start.task_id
    assert sfn.describe_execution(executionArn=execution["executionArn"])["status"] == "ABORTED"


def test_dead_letters_all_drain_known_ended_unknown_and_undecodable(queued_task, stores, lambda_context, caplog):
    _, log = stores
    live, ended, unknown = queued_task(), queued_task(), unknown_start()
    log.append(ended.task_id, [CANCEL])
    bodies = [live.model_dump_json(), ended.model_dump_json(), unknown.model_dump_json(), "{not json", json.dumps([])]

    with caplog.at_level(logging.WARNING):
        response = dead_letter.lambda_handler(sqs_event(*bodies, receive_count=4), lambda_context)

    assert response == {"batchItemFailures": []}
    last = log.read(live.task_id)[-1]
    assert (last.type, last.data) == (EventType.task_failed, {"error": "could not start after 4 attempts",
                                                               "error_type": "DeadLetter"})  # fmt: skip
    assert [e.type for e in log.read(ended.task_id)] == [EventType.task_queued, EventType.task_cancelled]
    assert log.read(unknown.task_id) == []
    discards = [r.getMessage() for r in caplog.records if "discarded" in r.getMessage()]
    assert len(discards) == 3
