"""The reconciler in template.yaml: its schedule, its index, ProgressFunction's on-failure queue and alarm,
and deadlines that leave the normal paths their time (docs/reliability.md)."""

from __future__ import annotations

import json

from infra.asl import ASL_PATH
from infra.template import Template
from investmind.adapters.dynamodb import codec
from investmind.settings import Settings

TEMPLATE = Template.load()
RESOURCES = TEMPLATE.resources


def test_reconcile_function_runs_on_a_schedule_and_may_describe_and_stop_executions():
    props = RESOURCES["ReconcileFunction"]["Properties"]
    assert props["Handler"] == "investmind.handlers.reconcile.lambda_handler"
    [event] = props["Events"].values()
    assert event["Type"] == "Schedule" and event["Properties"]["Schedule"].startswith("rate(")
    statements = [s for p in props["Policies"] if "Statement" in p for s in p["Statement"]]
    assert {"states:DescribeExecution", "states:StopExecution"} <= {a for s in statements for a in s["Action"]}
    assert props["Environment"]["Variables"]["INVESTMIND_STATE_MACHINE_ARN"] == {"Ref": "AnalysisStateMachine"}


def test_the_open_tasks_index_is_the_one_the_adapters_query():
    tasks = RESOURCES["TasksTable"]["Properties"]
    [index] = [i for i in tasks["GlobalSecondaryIndexes"] if i["IndexName"] == codec.OPEN_INDEX]
    assert [k["AttributeName"] for k in index["KeySchema"]] == [codec.OPEN_FIELD, "created_at"]
    assert index["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert {"AttributeName": codec.OPEN_FIELD, "AttributeType": "S"} in tasks["AttributeDefinitions"]


def test_progress_records_a_batch_it_gave_up_on_to_an_alarmed_queue_it_may_send_to():
    props = RESOURCES["ProgressFunction"]["Properties"]
    stream = props["Events"]["EventsStream"]["Properties"]
    queue_name = {"Fn::GetAtt": ["ProgressFailuresQueue", "QueueName"]}
    destination = {"Fn::GetAtt": ["ProgressFailuresQueue", "Arn"]}
    assert stream["DestinationConfig"] == {"OnFailure": {"Destination": destination}}
    assert {"SQSSendMessagePolicy": {"QueueName": queue_name}} in props["Policies"]
    alarm = RESOURCES["ProgressFailuresAlarm"]["Properties"]
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": queue_name}]
    assert alarm["Threshold"] == 1 and alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_default_deadlines_leave_the_dlq_and_the_state_machines_own_timeout_their_time():
    settings = Settings()
    queue = RESOURCES["NormalQueue"]["Properties"]
    to_dlq_s = queue["VisibilityTimeout"] * queue["RedrivePolicy"]["maxReceiveCount"]
    state_machine_s = json.loads(ASL_PATH.read_text())["TimeoutSeconds"]
    # A message that cannot start reaches its DLQ (DeadLetterFunction fails the task) before the reconciler would.
    assert settings.reconcile_start_deadline_s > to_dlq_s
    # An execution times itself out (TIMED_OUT, then settled with that reason) before the overall deadline.
    assert settings.reconcile_deadline_s > settings.reconcile_start_deadline_s + state_machine_s
